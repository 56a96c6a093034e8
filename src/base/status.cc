#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace faasnet {

namespace {

Status::Code CodeFromErrno(int err) {
  switch (err) {
    case ENOENT:
    case ESRCH:
    case ENODEV:
    case ENXIO:
      return Status::Code::kNotFound;
    case EEXIST:
      return Status::Code::kAlreadyExists;
    case EPERM:
    case EACCES:
    case EROFS:
      return Status::Code::kPermissionDenied;
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
      return Status::Code::kInvalidArgument;
    case ENOMEM:
    case ENOSPC:
    case EMFILE:
    case ENFILE:
    case EDQUOT:
      return Status::Code::kResourceExhausted;
    case EAGAIN:
    case EBUSY:
    case ECONNREFUSED:
    case ECONNRESET:
    case EPIPE:
      return Status::Code::kUnavailable;
    case ETIMEDOUT:
      return Status::Code::kTimeout;
    case EINTR:
    case ECANCELED:
      return Status::Code::kCancelled;
    case ENOSYS:
    case EOPNOTSUPP:
      return Status::Code::kUnimplemented;
    default:
      return Status::Code::kIoError;
  }
}

}  // namespace

Status Status::FromErrno(int err, std::string_view operation, std::string_view object) {
  std::string m(operation);
  if (!object.empty()) {
    m += ' ';
    m += object;
  }
  m += ": ";
  m += std::strerror(err);
  return Status(CodeFromErrno(err), std::move(m));
}

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kAlreadyExists: return "AlreadyExists";
    case Code::kPermissionDenied: return "PermissionDenied";
    case Code::kUnauthenticated: return "Unauthenticated";
    case Code::kResourceExhausted: return "ResourceExhausted";
    case Code::kFailedPrecondition: return "FailedPrecondition";
    case Code::kUnavailable: return "Unavailable";
    case Code::kTimeout: return "Timeout";
    case Code::kCancelled: return "Cancelled";
    case Code::kIoError: return "IoError";
    case Code::kUnimplemented: return "Unimplemented";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

}  // namespace faasnet
