#include "s3client/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "base/strings.h"
#include "s3/checksum.h"
#include "s3client/parse.h"
#include "s3client/url.h"

namespace faasnet::s3client {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kMaxErrorBody = size_t{64} * 1024;  // of an error response, kept for the message

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string ObjectName(std::string_view bucket, std::string_view key) {
  std::string s(bucket);
  if (!key.empty()) {
    s += '/';
    s += key;
  }
  return s;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Transport failures worth another attempt: the request may not have reached
// the server, or the connection broke (a kept-alive connection the server
// closed, a reset, a timeout).
bool IsRetryableCurl(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

ErrorClass ClassifyCurl(CURLcode rc) {
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return ErrorClass::kTimeout;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorClass::kCancelled;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
      return ErrorClass::kProtocol;
    default:
      return ErrorClass::kConnection;
  }
}

std::chrono::microseconds CurlTime(CURL* h, CURLINFO what) {
  curl_off_t us = 0;
  curl_easy_getinfo(h, what, &us);
  return std::chrono::microseconds(us);
}

// What the callbacks of one attempt share.
struct Transfer {
  std::string_view upload;  // request body (PUT)
  uint64_t upload_offset = 0;
  const BodySink* sink = nullptr;
  std::string* out = nullptr;  // 2xx body when no sink
  bool reserve = false;        // reserve `out` to Content-Length (GET)
  int status = 0;
  Headers headers;  // of the final response; names lower case
  std::string error_body;
  uint64_t delivered = 0;  // 2xx body bytes handed to the sink / out
  bool sink_stopped = false;
  TransferTimings* t = nullptr;

  const std::string* Header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (n == name) return &v;
    return nullptr;
  }
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Transfer*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // "HTTP/1.1 200 OK": a new response (after "100 Continue" or a redirect).
    x->headers.clear();
    x->status = 0;
    if (size_t sp = line.find(' '); sp != std::string_view::npos && line.size() >= sp + 4)
      std::from_chars(line.data() + sp + 1, line.data() + sp + 4, x->status);
    if (x->status >= 200) x->t->first_byte = Clock::now();
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name = ToLower(Trim(line.substr(0, colon)));
  std::string_view value = Trim(line.substr(colon + 1));
  if (name == "content-length" && x->reserve && x->out != nullptr && x->status / 100 == 2) {
    uint64_t cl = 0;
    if (std::from_chars(value.data(), value.data() + value.size(), cl).ec == std::errc() && cl <= (uint64_t{1} << 36))
      x->out->reserve(cl);
  }
  x->headers.emplace_back(std::move(name), value);
  return len;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Transfer*>(user);
  const size_t len = size * n;
  if (x->t->first_body_byte == Clock::time_point{}) x->t->first_body_byte = Clock::now();
  x->t->bytes_received += len;
  if (x->status / 100 != 2) {
    const size_t room = kMaxErrorBody - std::min(kMaxErrorBody, x->error_body.size());
    x->error_body.append(data, std::min(room, len));
    return len;
  }
  x->delivered += len;
  if (x->sink != nullptr) {
    if (!(*x->sink)(std::string_view(data, len))) {
      x->sink_stopped = true;
      return 0;  // curl fails the transfer with CURLE_WRITE_ERROR
    }
    return len;
  }
  if (x->out != nullptr) x->out->append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* user) {
  auto* x = static_cast<Transfer*>(user);
  const size_t k = std::min<uint64_t>(size * n, x->upload.size() - x->upload_offset);
  std::memcpy(buf, x->upload.data() + x->upload_offset, k);
  x->upload_offset += k;
  if (x->upload_offset == x->upload.size() && x->t->request_sent == Clock::time_point{})
    x->t->request_sent = Clock::now();
  return k;
}

// curl rewinds the body when it must send it again (e.g. after a refused
// "Expect: 100-continue" on a reused connection).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* x = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > x->upload.size())
    return CURL_SEEKFUNC_CANTSEEK;
  x->upload_offset = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

void ParseObjectHeaders(const Headers& headers, ObjectHeaders* h) {
  for (const auto& [name, value] : headers) {
    if (name == "content-length") {
      std::from_chars(value.data(), value.data() + value.size(), h->content_length);
    } else if (name == "content-type") {
      h->content_type = value;
    } else if (name == "etag") {
      h->etag = StripQuotes(value);
    } else if (name == "last-modified") {
      h->last_modified = value;
    } else if (name == "content-range") {
      h->content_range = value;
    } else if (name.starts_with("x-amz-meta-")) {
      h->metadata.emplace_back(name.substr(11), value);
    }
  }
}

// Adds b's counters to a, keeping a's start and taking b's end (multipart).
void Accumulate(RequestInfo* a, const RequestInfo& b) {
  TransferTimings& t = a->timings;
  const TransferTimings& u = b.timings;
  const Clock::time_point start = t.start;
  const uint64_t sent = t.bytes_sent + u.bytes_sent, received = t.bytes_received + u.bytes_received;
  const int retries = t.retries + u.retries, requests = t.requests + u.requests,
            connections = t.new_connections + u.new_connections;
  *a = b;
  a->timings.start = start;
  a->timings.bytes_sent = sent;
  a->timings.bytes_received = received;
  a->timings.retries = retries;
  a->timings.requests = requests;
  a->timings.new_connections = connections;
}

// One S3 call's request and where its response goes.
struct Call {
  std::string_view op;  // "GetObject"
  std::string object;   // "bucket/key", for messages
  const char* method = "GET";
  std::string_view bucket, key;
  std::string query;
  Headers headers;        // signed request headers besides host and x-amz-*
  std::string_view body;  // PUT / POST body
  std::string payload_hash;
  const BodySink* sink = nullptr;
  std::string* out = nullptr;
  // For 2xx responses whose body may still be an error (CompleteMultipartUpload).
  std::function<std::optional<HttpError>(std::string_view body)> check_2xx;
};

}  // namespace

class Client::Impl {
 public:
  Impl(Options options, Endpoint endpoint, CURL* curl)
      : opt_(std::move(options)), endpoint_(std::move(endpoint)), curl_(curl), jitter_(std::random_device{}()) {}
  ~Impl() { curl_easy_cleanup(curl_); }

  const Options& options() const { return opt_; }
  RequestInfo& last() { return last_; }

  // Runs `c` with retries; fills `info` (and last_) whatever the outcome;
  // response headers of the final attempt go to `headers_out` when given.
  Status Perform(Call& c, RequestInfo* info, Headers* headers_out = nullptr) {
    *info = RequestInfo();
    TransferTimings& t = info->timings;
    t.start = Clock::now();
    const Target target = BuildTarget(endpoint_, opt_.path_style, c.bucket, c.key, c.query);
    std::string local_out;
    if (c.sink == nullptr && c.out == nullptr) c.out = &local_out;
    Status st;
    for (int attempt = 0;; ++attempt) {
      Transfer x;
      x.upload = c.body;
      x.sink = c.sink;
      x.out = c.out;
      x.reserve = std::string_view(c.method) == "GET";
      x.t = &t;
      if (c.out != nullptr) c.out->clear();
      const int retries = t.retries, requests = t.requests + 1, conns = t.new_connections;
      const Clock::time_point start = t.start;
      t = TransferTimings();
      t.start = start;
      t.retries = retries;
      t.requests = requests;
      t.attempt_start = Clock::now();
      if (c.body.empty()) t.request_sent = t.attempt_start;

      curl_slist* list = nullptr;
      st = SetUp(c, target, &x, &list);
      CURLcode rc = CURLE_OK;
      if (st.ok()) {
        error_buffer_[0] = '\0';
        rc = curl_easy_perform(curl_);
      }
      curl_slist_free_all(list);
      if (!st.ok()) {
        info->error_class = ErrorClass::kInvalid;
        last_ = *info;
        return st;
      }
      t.last_byte = Clock::now();
      // POST bodies (small XML) go from curl's copy without our read callback:
      // the response's start bounds when they were sent.
      if (t.request_sent == Clock::time_point{}) t.request_sent = t.first_byte;
      long connects = 0;
      curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &connects);
      t.new_connections = conns + static_cast<int>(connects);
      curl_off_t up = 0;
      curl_easy_getinfo(curl_, CURLINFO_SIZE_UPLOAD_T, &up);
      t.bytes_sent = static_cast<uint64_t>(up);
      t.dns = CurlTime(curl_, CURLINFO_NAMELOOKUP_TIME_T);
      t.connect = CurlTime(curl_, CURLINFO_CONNECT_TIME_T);
      t.tls = CurlTime(curl_, CURLINFO_APPCONNECT_TIME_T);
      t.pretransfer = CurlTime(curl_, CURLINFO_PRETRANSFER_TIME_T);
      t.start_transfer = CurlTime(curl_, CURLINFO_STARTTRANSFER_TIME_T);
      t.total = CurlTime(curl_, CURLINFO_TOTAL_TIME_T);
      t.http_status = x.status;
      info->http_status = t.http_status;
      if (const std::string* id = x.Header("x-amz-request-id")) info->request_id = *id;
      if (headers_out != nullptr) *headers_out = x.headers;
      // Retrying after the sink saw bytes would hand it the same bytes twice.
      const bool may_retry = attempt < opt_.max_retries && !(c.sink != nullptr && x.delivered > 0);

      if (rc != CURLE_OK) {
        info->transport_error = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(rc);
        info->error_class = x.sink_stopped ? ErrorClass::kCancelled : ClassifyCurl(rc);
        if (!x.sink_stopped && IsRetryableCurl(rc) && may_retry) {
          Backoff(attempt, &t);
          continue;
        }
        st = TransportStatus(c, rc, x.sink_stopped, info->transport_error, t.retries);
        break;
      }
      std::optional<HttpError> err;
      if (x.status / 100 != 2) {
        err = ParseHttpError(x.error_body, x.status);
      } else if (c.check_2xx) {
        err = c.check_2xx(c.out != nullptr ? *c.out : std::string_view());
      }
      if (!err) {
        st = Status::Ok();
        break;
      }
      info->s3_code = err->code;
      info->s3_message = err->message;
      info->error_class = ClassifyHttpError(x.status, err->code);
      if (IsRetryableHttp(x.status, err->code) && may_retry) {
        info->s3_code.clear();
        info->s3_message.clear();
        info->error_class = ErrorClass::kNone;
        Backoff(attempt, &t);
        continue;
      }
      st = HttpErrorStatus(c.op, c.object, x.status, *err, t.retries);
      break;
    }
    last_ = *info;
    return st;
  }

 private:
  Status SetUp(const Call& c, const Target& target, Transfer* x, curl_slist** list) {
    CURL* h = curl_;
    curl_easy_reset(h);  // keeps the connection cache
    curl_easy_setopt(h, CURLOPT_URL, target.url.c_str());
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // we send (and sign) the path as built
    curl_easy_setopt(h, CURLOPT_PROXY, "");       // never a proxy from the environment
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, static_cast<long>(opt_.receive_buffer_bytes));
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, static_cast<long>(opt_.send_buffer_bytes));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(opt_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(opt_.request_timeout.count()));
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, static_cast<long>(opt_.expect_continue_timeout.count()));
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(h, CURLOPT_USERAGENT, opt_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (endpoint_.scheme == "https") {
      if (!opt_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opt_.ca_file.c_str());
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, opt_.verify_tls ? 1L : 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, opt_.verify_tls ? 2L : 0L);
    }

    const std::string_view method = c.method;
    bool has_body = false;
    if (method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT") {
      has_body = true;
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(h, CURLOPT_READDATA, x);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    } else if (method == "POST") {
      has_body = true;
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, c.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c.method);
    }

    // Headers: what we sign is exactly what curl sends.
    std::vector<s3::HeaderPair> signed_view;
    signed_view.emplace_back("host", target.host);
    for (const auto& [n, v] : c.headers) signed_view.emplace_back(n, v);
    Headers wire(c.headers);
    wire.insert(wire.begin(), {"Host", target.host});
    if (!opt_.credentials.access_key_id.empty()) {
      s3::SigningParams params;
      params.credentials = opt_.credentials;
      params.region = opt_.region;
      params.time = std::chrono::system_clock::now();
      s3::RequestView req{c.method, target.path, target.query, signed_view};
      Result<s3::SignedRequest> sig = s3::SignRequest(req, params, c.payload_hash);
      if (!sig.ok()) return sig.status().WithContext(std::string(c.op) + " " + c.object + ": sign");
      for (auto& hv : sig->headers_to_add) wire.push_back(std::move(hv));
    }
    for (const auto& [n, v] : wire) {
      // "Name;" is curl's way of sending a header with an empty value.
      std::string line = n;
      line += v.empty() ? ";" : ": ";
      line += v;
      *list = curl_slist_append(*list, line.c_str());
    }
    *list = curl_slist_append(*list, "Accept:");  // drop curl's default "Accept: */*"
    if (has_body && c.body.size() < opt_.expect_continue_min_bytes)
      *list = curl_slist_append(*list, "Expect:");  // small bodies go at once
    if (method == "POST" && std::none_of(c.headers.begin(), c.headers.end(),
                                         [](const auto& p) { return EqualsIgnoreCase(p.first, "content-type"); }))
      *list = curl_slist_append(*list, "Content-Type:");  // not curl's form-urlencoded default
    if (*list == nullptr) return Status::Internal("curl_slist_append: out of memory");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *list);
    return Status::Ok();
  }

  void Backoff(int attempt, TransferTimings* t) {
    const auto cap = opt_.retry_max_delay;
    auto d = opt_.retry_base_delay * (int64_t{1} << std::min(attempt, 30));
    if (d > cap || d.count() < 0) d = cap;
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    std::uniform_int_distribution<int64_t> dist(us / 2, std::max<int64_t>(us, us / 2));
    std::this_thread::sleep_for(std::chrono::microseconds(dist(jitter_)));
    ++t->retries;
  }

  static Status TransportStatus(const Call& c, CURLcode rc, bool sink_stopped, const std::string& detail, int retries) {
    std::string text = std::string(c.op) + " " + c.object + ": ";
    if (sink_stopped) return Status::Cancelled(text + "stopped by the body sink");
    text += curl_easy_strerror(rc);
    if (!detail.empty() && detail != curl_easy_strerror(rc)) text += ": " + detail;
    if (retries > 0) text += " (after " + std::to_string(retries) + (retries == 1 ? " retry)" : " retries)");
    switch (ClassifyCurl(rc)) {
      case ErrorClass::kTimeout:
        return Status::Timeout(std::move(text));
      case ErrorClass::kConnection:
        return Status::Unavailable(std::move(text));
      default:
        return Status::IoError(std::move(text));
    }
  }

  Options opt_;
  Endpoint endpoint_;
  CURL* curl_;
  RequestInfo last_;
  std::mt19937_64 jitter_;  // backoff jitter only; not part of any measured output
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

// ---------------------------------------------------------------- Client

Result<Client> Client::Create(Options options) {
  ASSIGN_OR_RETURN(Endpoint endpoint, Endpoint::Parse(options.endpoint));
  auto bad = [](const std::string& m) { return Status::InvalidArgument("s3client options: " + m); };
  if (options.max_retries < 0) return bad("max_retries must be >= 0");
  if (options.part_size == 0) return bad("part_size must be > 0");
  if (options.receive_buffer_bytes < 1024) return bad("receive_buffer_bytes must be >= 1 KiB");
  if (options.send_buffer_bytes < size_t{16} * 1024) return bad("send_buffer_bytes must be >= 16 KiB");
  if (options.connect_timeout.count() < 0 || options.request_timeout.count() < 0) return bad("timeouts must be >= 0");
  if (options.region.empty()) return bad("region must not be empty");
  GlobalInit();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Status::Internal("curl_easy_init failed");
  return Client(std::make_unique<Impl>(std::move(options), std::move(endpoint), curl));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

const Options& Client::options() const { return impl_->options(); }
const RequestInfo& Client::last_request() const { return impl_->last(); }

namespace {

Call MakeCall(std::string_view op, const char* method, std::string_view bucket, std::string_view key) {
  Call c;
  c.op = op;
  c.method = method;
  c.bucket = bucket;
  c.key = key;
  c.object = ObjectName(bucket, key);
  c.payload_hash = s3::kEmptySha256Hex;
  return c;
}

Status AddPutHeaders(const PutOptions& o, Headers* h) {
  if (!o.content_type.empty()) {
    if (HasLineBreak(o.content_type)) return Status::InvalidArgument("content type has a line break");
    h->emplace_back("content-type", o.content_type);
  }
  for (const auto& [name, value] : o.metadata) {
    if (name.empty() || HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos)
      return Status::InvalidArgument("bad metadata name or value: " + name);
    h->emplace_back("x-amz-meta-" + ToLower(name), value);
  }
  return Status::Ok();
}

Status Invalid(RequestInfo* last, std::string_view op, std::string_view object, const Status& why) {
  *last = RequestInfo();
  last->error_class = ErrorClass::kInvalid;
  return Status(why.code(), std::string(op) + " " + std::string(object) + ": " + why.message());
}

}  // namespace

Result<RequestInfo> Client::CreateBucket(std::string_view bucket) {
  Call c = MakeCall("CreateBucket", "PUT", bucket, {});
  std::string body;
  if (impl_->options().region != "us-east-1") {
    s3::XmlWriter w;
    w.Open("CreateBucketConfiguration", true).Element("LocationConstraint", impl_->options().region);
    body = w.Finish();
    c.headers.emplace_back("content-type", "application/xml");
  }
  c.body = body;
  c.payload_hash = s3::Sha256Hex(body);
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return info;
}

Result<RequestInfo> Client::HeadBucket(std::string_view bucket) {
  Call c = MakeCall("HeadBucket", "HEAD", bucket, {});
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return info;
}

Result<std::vector<std::string>> Client::ListBuckets() {
  Call c = MakeCall("ListBuckets", "GET", {}, {});
  std::string body;
  c.out = &body;
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return ParseListBuckets(body);
}

Result<RequestInfo> Client::DeleteBucket(std::string_view bucket) {
  Call c = MakeCall("DeleteBucket", "DELETE", bucket, {});
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return info;
}

Result<PutObjectResult> Client::PutObject(std::string_view bucket, std::string_view key, std::string_view body,
                                          const PutOptions& options) {
  Call c = MakeCall("PutObject", "PUT", bucket, key);
  if (key.empty()) return Invalid(&impl_->last(), c.op, c.object, Status::InvalidArgument("empty key"));
  if (Status st = AddPutHeaders(options, &c.headers); !st.ok()) return Invalid(&impl_->last(), c.op, c.object, st);
  c.body = body;
  c.payload_hash = impl_->options().unsigned_payload ? std::string(s3::kUnsignedPayload) : s3::Sha256Hex(body);
  PutObjectResult r;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  for (const auto& [n, v] : headers) {
    if (n == "etag") r.etag = StripQuotes(v);
    if (n == "x-amz-version-id") r.version_id = v;
  }
  return r;
}

Result<PutObjectResult> Client::PutObjectAuto(std::string_view bucket, std::string_view key, std::string_view body,
                                              const PutOptions& options) {
  if (body.size() > impl_->options().multipart_threshold) return PutObjectMultipart(bucket, key, body, options);
  return PutObject(bucket, key, body, options);
}

namespace {

Status MakeGetCall(std::string_view bucket, std::string_view key, const GetOptions& o, Call* c) {
  *c = MakeCall("GetObject", "GET", bucket, key);
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (o.range) {
    if (o.range->last && *o.range->last < o.range->first) return Status::InvalidArgument("range last < first");
    c->headers.emplace_back("range", o.range->HeaderValue());
  }
  if (!o.if_match.empty()) {
    if (HasLineBreak(o.if_match)) return Status::InvalidArgument("if_match has a line break");
    c->headers.emplace_back("if-match", "\"" + o.if_match + "\"");
  }
  return Status::Ok();
}

}  // namespace

Result<GetObjectResult> Client::GetObject(std::string_view bucket, std::string_view key, const GetOptions& options) {
  Call c;
  if (Status st = MakeGetCall(bucket, key, options, &c); !st.ok())
    return Invalid(&impl_->last(), "GetObject", ObjectName(bucket, key), st);
  GetObjectResult r;
  c.out = &r.body;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  ParseObjectHeaders(headers, &r.headers);
  return r;
}

Result<GetObjectResult> Client::GetObject(std::string_view bucket, std::string_view key, const BodySink& sink,
                                          const GetOptions& options) {
  Call c;
  if (Status st = MakeGetCall(bucket, key, options, &c); !st.ok())
    return Invalid(&impl_->last(), "GetObject", ObjectName(bucket, key), st);
  c.sink = &sink;
  GetObjectResult r;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  ParseObjectHeaders(headers, &r.headers);
  return r;
}

Result<HeadObjectResult> Client::HeadObject(std::string_view bucket, std::string_view key) {
  Call c = MakeCall("HeadObject", "HEAD", bucket, key);
  if (key.empty()) return Invalid(&impl_->last(), c.op, c.object, Status::InvalidArgument("empty key"));
  HeadObjectResult r;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  ParseObjectHeaders(headers, &r.headers);
  return r;
}

Result<RequestInfo> Client::DeleteObject(std::string_view bucket, std::string_view key) {
  Call c = MakeCall("DeleteObject", "DELETE", bucket, key);
  if (key.empty()) return Invalid(&impl_->last(), c.op, c.object, Status::InvalidArgument("empty key"));
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return info;
}

Result<ListObjectsResult> Client::ListObjectsV2(std::string_view bucket, const ListOptions& o) {
  Call c = MakeCall("ListObjectsV2", "GET", bucket, {});
  std::vector<std::pair<std::string, std::string>> q = {{"list-type", "2"}, {"encoding-type", "url"}};
  if (!o.prefix.empty()) q.emplace_back("prefix", o.prefix);
  if (!o.delimiter.empty()) q.emplace_back("delimiter", o.delimiter);
  if (!o.continuation_token.empty()) q.emplace_back("continuation-token", o.continuation_token);
  if (!o.start_after.empty()) q.emplace_back("start-after", o.start_after);
  if (o.max_keys > 0) q.emplace_back("max-keys", std::to_string(o.max_keys));
  c.query = BuildQuery(q);
  std::string body;
  c.out = &body;
  ListObjectsResult r;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info));
  if (Status st = ParseListObjectsV2(body, /*url_encoded=*/true, &r); !st.ok()) {
    impl_->last().error_class = ErrorClass::kProtocol;
    return st.WithContext(c.object);
  }
  return r;
}

Result<std::vector<ObjectSummary>> Client::ListAllObjects(std::string_view bucket, std::string_view prefix) {
  std::vector<ObjectSummary> all;
  ListOptions o;
  o.prefix = prefix;
  for (;;) {
    ASSIGN_OR_RETURN(ListObjectsResult page, ListObjectsV2(bucket, o));
    for (ObjectSummary& s : page.objects) all.push_back(std::move(s));
    if (!page.is_truncated) break;
    if (page.next_continuation_token.empty())
      return Status::InvalidArgument("ListObjectsV2 " + std::string(bucket) + ": truncated without a token");
    o.continuation_token = page.next_continuation_token;
  }
  return all;
}

Result<CreateMultipartUploadResult> Client::CreateMultipartUpload(std::string_view bucket, std::string_view key,
                                                                  const PutOptions& options) {
  Call c = MakeCall("CreateMultipartUpload", "POST", bucket, key);
  if (key.empty()) return Invalid(&impl_->last(), c.op, c.object, Status::InvalidArgument("empty key"));
  if (Status st = AddPutHeaders(options, &c.headers); !st.ok()) return Invalid(&impl_->last(), c.op, c.object, st);
  c.query = "uploads";
  std::string body;
  c.out = &body;
  CreateMultipartUploadResult r;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info));
  Result<std::string> id = ParseInitiateMultipartUpload(body);
  if (!id.ok()) {
    impl_->last().error_class = ErrorClass::kProtocol;
    return id.status().WithContext(c.object);
  }
  r.upload_id = std::move(*id);
  return r;
}

Result<UploadPartResult> Client::UploadPart(std::string_view bucket, std::string_view key, std::string_view upload_id,
                                            int part_number, std::string_view body) {
  Call c = MakeCall("UploadPart", "PUT", bucket, key);
  if (part_number < 1 || part_number > 10000)
    return Invalid(&impl_->last(), c.op, c.object, Status::InvalidArgument("part number outside 1..10000"));
  c.query = BuildQuery({{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}});
  c.object += " part " + std::to_string(part_number);
  c.body = body;
  c.payload_hash = impl_->options().unsigned_payload ? std::string(s3::kUnsignedPayload) : s3::Sha256Hex(body);
  UploadPartResult r;
  r.part_number = part_number;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  for (const auto& [n, v] : headers)
    if (n == "etag") r.etag = StripQuotes(v);
  if (r.etag.empty()) {
    impl_->last().error_class = ErrorClass::kProtocol;
    return Status::InvalidArgument("UploadPart " + c.object + ": response has no ETag");
  }
  return r;
}

Result<PutObjectResult> Client::CompleteMultipartUpload(std::string_view bucket, std::string_view key,
                                                        std::string_view upload_id,
                                                        std::span<const s3::CompletedPart> parts) {
  Call c = MakeCall("CompleteMultipartUpload", "POST", bucket, key);
  c.query = BuildQuery({{"uploadId", std::string(upload_id)}});
  const std::string xml = CompleteMultipartUploadXml(parts);
  c.body = xml;
  c.payload_hash = s3::Sha256Hex(xml);
  c.headers.emplace_back("content-type", "application/xml");
  std::string body;
  c.out = &body;
  std::string etag;
  c.check_2xx = [&etag](std::string_view b) -> std::optional<HttpError> {
    Result<CompleteMultipartOutcome> o = ParseCompleteMultipartUpload(b);
    if (!o.ok()) return HttpError{"MalformedResponse", o.status().message()};
    if (!o->error_code.empty()) return HttpError{o->error_code, o->error_message};
    etag = o->etag;
    return std::nullopt;
  };
  PutObjectResult r;
  Headers headers;
  RETURN_IF_ERROR(impl_->Perform(c, &r.info, &headers));
  r.etag = etag;
  for (const auto& [n, v] : headers)
    if (n == "x-amz-version-id") r.version_id = v;
  return r;
}

Result<RequestInfo> Client::AbortMultipartUpload(std::string_view bucket, std::string_view key,
                                                 std::string_view upload_id) {
  Call c = MakeCall("AbortMultipartUpload", "DELETE", bucket, key);
  c.query = BuildQuery({{"uploadId", std::string(upload_id)}});
  RequestInfo info;
  RETURN_IF_ERROR(impl_->Perform(c, &info));
  return info;
}

Result<PutObjectResult> Client::PutObjectMultipart(std::string_view bucket, std::string_view key, std::string_view body,
                                                   const PutOptions& options) {
  const uint64_t part_size = impl_->options().part_size;
  if (body.size() > part_size * 10000)
    return Invalid(&impl_->last(), "PutObjectMultipart", ObjectName(bucket, key),
                   Status::InvalidArgument("more than 10000 parts; raise part_size"));
  RequestInfo total;
  total.timings.start = Clock::now();
  auto fail = [&](const Status& st) -> Status {
    Accumulate(&total, impl_->last());
    impl_->last() = total;
    return st;
  };
  Result<CreateMultipartUploadResult> created = CreateMultipartUpload(bucket, key, options);
  if (!created.ok()) return fail(created.status());
  Accumulate(&total, created->info);
  const std::string upload_id = created->upload_id;

  // Aborts (best effort, keeping the failure's RequestInfo) and reports `st`.
  auto abort = [&](const Status& st) -> Status {
    Accumulate(&total, impl_->last());
    (void)AbortMultipartUpload(bucket, key, upload_id);
    impl_->last() = total;
    return st;
  };

  std::vector<s3::CompletedPart> parts;
  uint64_t offset = 0;
  do {
    const std::string_view slice = body.substr(offset, part_size);
    const int number = static_cast<int>(parts.size()) + 1;
    Result<UploadPartResult> part = UploadPart(bucket, key, upload_id, number, slice);
    if (!part.ok()) return abort(part.status());
    Accumulate(&total, part->info);
    s3::CompletedPart cp;
    cp.part_number = number;
    cp.etag = part->etag;
    parts.push_back(std::move(cp));
    offset += slice.size();
  } while (offset < body.size());

  Result<PutObjectResult> done = CompleteMultipartUpload(bucket, key, upload_id, parts);
  if (!done.ok()) return abort(done.status());
  Accumulate(&total, done->info);
  PutObjectResult r = std::move(*done);
  r.info = total;
  impl_->last() = total;
  return r;
}

}  // namespace faasnet::s3client
