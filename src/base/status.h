// Status and Result<T>: the error currency of faasnet.
//
// Every fallible call returns a Status (no value) or a Result<T> (a value or a
// Status), shaped like std::expected. A Status message names the operation and
// the object it acted on, e.g. "mkdir /sys/fs/cgroup/cpu/faasnet/h1: Permission
// denied". errno is mapped to a Code exactly once, in Status::FromErrno.
//
// Thread-safety: values; safe to copy and move between threads.
#ifndef FAASNET_BASE_STATUS_H_
#define FAASNET_BASE_STATUS_H_

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace faasnet {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kAlreadyExists,
    kPermissionDenied,
    kUnauthenticated,
    kResourceExhausted,
    kFailedPrecondition,
    kUnavailable,
    kTimeout,
    kCancelled,
    kIoError,
    kUnimplemented,
    kInternal,
  };

  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {Code::kTimeout, std::move(m)}; }
  static Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {Code::kUnimplemented, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  // "<operation> <object>: <strerror(err)>", with the code mapped from errno.
  static Status FromErrno(int err, std::string_view operation, std::string_view object = {});

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;
  static const char* CodeName(Code code);

  // Returns a copy whose message is "<context>: <message>" (OK stays OK).
  Status WithContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value of T or an error E (a non-OK error: Status here, S3Error and
// LambdaError in the protocol modules), shaped like std::expected. E needs
// ok() and a default constructor meaning success.
template <typename T, typename E>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(E error) : v_(std::move(error)) {   // NOLINT: implicit by design
    assert(!std::get<E>(v_).ok() && "Expected built from an OK error");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; an OK (default) E when a value is held.
  E error() const { return ok() ? E() : std::get<E>(v_); }

 private:
  std::variant<T, E> v_;
};

// A value of T or a non-OK Status. Construct from either; never from an OK Status.
template <typename T>
class Result : public Expected<T, Status> {
 public:
  using Expected<T, Status>::Expected;
  // The error; OK when a value is held.
  Status status() const { return this->error(); }
};

}  // namespace faasnet

#define FAASNET_CONCAT_INNER(a, b) a##b
#define FAASNET_CONCAT(a, b) FAASNET_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::faasnet::Status _st = (expr);                    \
    if (!_st.ok()) return _st;                         \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, Foo());` binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr)                                        \
  auto FAASNET_CONCAT(_res_, __LINE__) = (expr);                           \
  if (!FAASNET_CONCAT(_res_, __LINE__).ok())                               \
    return FAASNET_CONCAT(_res_, __LINE__).status();                       \
  lhs = std::move(FAASNET_CONCAT(_res_, __LINE__)).value()

#endif  // FAASNET_BASE_STATUS_H_
