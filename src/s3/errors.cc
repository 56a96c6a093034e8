#include "s3/errors.h"

#include <pugixml.hpp>

#include "s3/xml.h"

namespace faasnet::s3 {

namespace {
S3Error Named(int http_status, const char* code, std::string message, const char* standard) {
  return {http_status, code, message.empty() ? std::string(standard) : std::move(message)};
}
}  // namespace

// Standard texts follow the messages S3 itself sends, so clients that print
// them show something familiar.
#define FAASNET_S3_ERROR(name, status, text) \
  S3Error S3Error::name(std::string message) { return Named(status, #name, std::move(message), text); }

FAASNET_S3_ERROR(NoSuchBucket, 404, "The specified bucket does not exist")
FAASNET_S3_ERROR(NoSuchKey, 404, "The specified key does not exist.")
FAASNET_S3_ERROR(NoSuchUpload, 404,
                 "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart "
                 "upload might have been aborted or completed.")
FAASNET_S3_ERROR(NoSuchVersion, 404, "The specified version does not exist.")
FAASNET_S3_ERROR(BucketAlreadyOwnedByYou, 409,
                 "Your previous request to create the named bucket succeeded and you already own it.")
FAASNET_S3_ERROR(BucketAlreadyExists, 409,
                 "The requested bucket name is not available. The bucket namespace is shared by all users of the "
                 "system. Please select a different name and try again.")
FAASNET_S3_ERROR(BucketNotEmpty, 409, "The bucket you tried to delete is not empty")
FAASNET_S3_ERROR(OperationAborted, 409,
                 "A conflicting conditional operation is currently in progress against this resource. Please try "
                 "again.")
FAASNET_S3_ERROR(InvalidBucketName, 400, "The specified bucket is not valid.")
FAASNET_S3_ERROR(KeyTooLongError, 400, "Your key is too long")
FAASNET_S3_ERROR(InvalidArgument, 400, "Invalid Argument")
FAASNET_S3_ERROR(InvalidRange, 416, "The requested range is not satisfiable")
FAASNET_S3_ERROR(PreconditionFailed, 412, "At least one of the pre-conditions you specified did not hold")
FAASNET_S3_ERROR(NotModified, 304, "Not Modified")
FAASNET_S3_ERROR(SignatureDoesNotMatch, 403,
                 "The request signature we calculated does not match the signature you provided. Check your key "
                 "and signing method.")
FAASNET_S3_ERROR(InvalidAccessKeyId, 403, "The AWS Access Key Id you provided does not exist in our records.")
FAASNET_S3_ERROR(AccessDenied, 403, "Access Denied")
FAASNET_S3_ERROR(AuthorizationHeaderMalformed, 400, "The authorization header is malformed.")
FAASNET_S3_ERROR(AuthorizationQueryParametersError, 400, "Error parsing the X-Amz-Credential parameter.")
FAASNET_S3_ERROR(RequestTimeTooSkewed, 403,
                 "The difference between the request time and the current time is too large.")
FAASNET_S3_ERROR(ExpiredToken, 400, "The provided token has expired.")
FAASNET_S3_ERROR(InvalidToken, 400, "The provided token is malformed or otherwise invalid.")
FAASNET_S3_ERROR(MissingContentLength, 411, "You must provide the Content-Length HTTP header.")
FAASNET_S3_ERROR(MissingRequestBodyError, 400, "Request Body is empty")
FAASNET_S3_ERROR(EntityTooLarge, 400, "Your proposed upload exceeds the maximum allowed size")
FAASNET_S3_ERROR(EntityTooSmall, 400, "Your proposed upload is smaller than the minimum allowed object size.")
FAASNET_S3_ERROR(MetadataTooLarge, 400, "Your metadata headers exceed the maximum allowed metadata size.")
FAASNET_S3_ERROR(InvalidDigest, 400, "The Content-MD5 you specified is not valid.")
FAASNET_S3_ERROR(BadDigest, 400, "The Content-MD5 you specified did not match what we received.")
FAASNET_S3_ERROR(XAmzContentSHA256Mismatch, 400,
                 "The provided 'x-amz-content-sha256' header does not match what was computed.")
FAASNET_S3_ERROR(InvalidChunkSizeError, 400, "Only the last chunk is allowed to have a size less than 8192 bytes")
FAASNET_S3_ERROR(InvalidPart, 400,
                 "One or more of the specified parts could not be found. The part might not have been uploaded, or "
                 "the specified entity tag might not have matched the part's entity tag.")
FAASNET_S3_ERROR(InvalidPartOrder, 400,
                 "The list of parts was not in ascending order. The parts list must be specified in order by part "
                 "number.")
FAASNET_S3_ERROR(MalformedXML, 400,
                 "The XML you provided was not well-formed or did not validate against our published schema.")
FAASNET_S3_ERROR(UnexpectedContent, 400, "This request does not support content")
FAASNET_S3_ERROR(InvalidStorageClass, 400, "The storage class you specified is not valid")
FAASNET_S3_ERROR(MethodNotAllowed, 405, "The specified method is not allowed against this resource.")
FAASNET_S3_ERROR(NotImplemented, 501, "A header you provided implies functionality that is not implemented")
FAASNET_S3_ERROR(SlowDown, 503, "Please reduce your request rate.")
FAASNET_S3_ERROR(ServiceUnavailable, 503, "Service is unable to handle request.")
FAASNET_S3_ERROR(InternalError, 500, "We encountered an internal error. Please try again.")
FAASNET_S3_ERROR(IncompleteBody, 400,
                 "You did not provide the number of bytes specified by the Content-Length HTTP header")
FAASNET_S3_ERROR(InvalidRequest, 400, "Invalid Request")
FAASNET_S3_ERROR(InvalidURI, 400, "Couldn't parse the specified URI.")
FAASNET_S3_ERROR(MissingSecurityHeader, 400, "Your request was missing a required header")
FAASNET_S3_ERROR(InvalidObjectState, 403, "The operation is not valid for the current state of the object.")
FAASNET_S3_ERROR(RequestTimeout, 400,
                 "Your socket connection to the server was not read from or written to within the timeout period.")
FAASNET_S3_ERROR(MaxMessageLengthExceeded, 400, "Your request was too big.")

#undef FAASNET_S3_ERROR

std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id) {
  XmlWriter w;
  w.Open("Error");
  w.Element("Code", error.code);
  w.Element("Message", error.message);
  w.Element("Resource", resource);
  w.Element("RequestId", request_id);
  w.Close();
  return w.Finish();
}

S3Error ParseErrorXml(std::string_view body, int http_status) {
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size());
  pugi::xml_node root = doc.child("Error");
  std::string code = parsed ? root.child_value("Code") : "";
  if (code.empty()) {
    return {http_status, "Http" + std::to_string(http_status), std::string(body.substr(0, 200))};
  }
  return {http_status, std::move(code), root.child_value("Message")};
}

Status ToStatus(const S3Error& error) {
  if (error.ok()) return Status::Ok();
  std::string text = error.code + " (" + std::to_string(error.http_status) + "): " + error.message;
  const std::string& c = error.code;
  if (c == "InvalidAccessKeyId" || c == "SignatureDoesNotMatch" || c == "ExpiredToken" || c == "InvalidToken") {
    return Status::Unauthenticated(std::move(text));
  }
  if (error.http_status == 403) return Status::PermissionDenied(std::move(text));
  if (error.http_status == 404) return Status::NotFound(std::move(text));
  if (error.http_status == 409) return Status::AlreadyExists(std::move(text));
  if (error.http_status == 412 || error.http_status == 304) return Status::FailedPrecondition(std::move(text));
  if (error.http_status == 503) return Status::Unavailable(std::move(text));
  if (error.http_status == 501) return Status::Unimplemented(std::move(text));
  if (error.http_status >= 500) return Status::Internal(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

}  // namespace faasnet::s3
