// S3 XML: parsing the request bodies a server accepts (CompleteMultipartUpload,
// Delete, CreateBucketConfiguration) and writing response documents.
//
// Parsing uses pugixml (no DTDs, no external entities). Any body that is not
// well-formed XML, has the wrong root element or misses a required element is
// MalformedXML, as S3 reports it. Bodies are parsed from memory; the caller
// bounds their size (S3 caps these bodies; the HTTP layer enforces it).
//
// XmlWriter appends to one std::string; elements are escaped on the way in,
// so building a ListBucketResult with thousands of entries is a single
// growing buffer and no DOM.
//
// Ownership: results own their strings. Thread-safety: the parse functions are
// pure; an XmlWriter is not thread-safe.
#ifndef FAASNET_S3_XML_H_
#define FAASNET_S3_XML_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/errors.h"

namespace faasnet::s3 {

inline constexpr std::string_view kS3XmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// ---------------------------------------------------------------- requests

struct CompletedPart {
  int part_number = 0;  // 1..10000
  std::string etag;     // without surrounding double quotes
  // Optional additional checksums as sent (base64); empty when absent.
  std::string checksum_crc32;
  std::string checksum_crc32c;
  std::string checksum_sha1;
  std::string checksum_sha256;
};

struct CompleteMultipartUpload {
  std::vector<CompletedPart> parts;  // in request order (strictly ascending)
};

// <CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"..."</ETag>
// [<ChecksumCRC32>..</ChecksumCRC32>...]</Part>...</CompleteMultipartUpload>
// Errors: MalformedXML for bad XML, no parts, a part without PartNumber or
// ETag, or a PartNumber that is not an integer; InvalidArgument for a
// PartNumber outside 1..10000; InvalidPartOrder when part numbers are not
// strictly ascending.
S3Result<CompleteMultipartUpload> ParseCompleteMultipartUpload(std::string_view body);

struct ObjectToDelete {
  std::string key;
  std::string version_id;  // empty when absent
};

struct DeleteObjectsRequest {
  bool quiet = false;
  std::vector<ObjectToDelete> objects;  // 1..1000
};

// <Delete><Quiet>true</Quiet><Object><Key>k</Key><VersionId>v</VersionId></Object>...</Delete>
// Errors: MalformedXML for bad XML, no objects, more than 1000 objects, an
// Object without Key, or a Quiet value other than true/false.
S3Result<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body);

// <CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>
// An empty (or all-whitespace) body is valid and yields "" (us-east-1).
// Errors: MalformedXML for bad XML or another root element.
S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body);

// ---------------------------------------------------------------- responses

// Appends `text` to `out` with & < > " ' escaped. Control characters other
// than \t \n are written as numeric references (&#x1;, &#xD;): lenient parsers
// (pugixml, most SDKs) read them back; strict XML 1.0 parsers refuse them, so
// listings of such keys should use encoding-type=url. Bytes >= 0x80 pass
// through unchanged (the caller supplies UTF-8).
void AppendXmlEscaped(std::string* out, std::string_view text);
std::string XmlEscape(std::string_view text);

// Builds an XML document:
//   XmlWriter w;
//   w.Open("ListBucketResult", /*s3_namespace=*/true);
//   w.Element("Name", bucket);
//   w.Open("Contents"); w.Element("Key", key); w.Element("Size", size); w.Close();
//   std::string xml = w.Finish();
// The declaration <?xml version="1.0" encoding="UTF-8"?> is written first.
class XmlWriter {
 public:
  XmlWriter();

  // <name> or <name xmlns="http://s3.amazonaws.com/doc/2006-03-01/">.
  XmlWriter& Open(std::string_view name, bool s3_namespace = false);
  // Closes the innermost open element; no-op when none is open.
  XmlWriter& Close();
  // <name>escaped text</name>.
  XmlWriter& Element(std::string_view name, std::string_view text);
  XmlWriter& Element(std::string_view name, const char* text) { return Element(name, std::string_view(text)); }
  XmlWriter& Element(std::string_view name, int64_t value);
  XmlWriter& Element(std::string_view name, uint64_t value);
  XmlWriter& Element(std::string_view name, int value) { return Element(name, static_cast<int64_t>(value)); }
  XmlWriter& Element(std::string_view name, bool value) { return Element(name, value ? "true" : "false"); }

  // Closes every open element and returns the document; the writer is empty
  // afterwards.
  std::string Finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace faasnet::s3

#endif  // FAASNET_S3_XML_H_
