#include "s3/xml.h"

#include <charconv>
#include <pugixml.hpp>

#include "base/strings.h"

namespace faasnet::s3 {

namespace {

constexpr size_t kMaxDeleteObjects = 1000;
constexpr int kMaxPartNumber = 10000;

// Parses `body` and returns its root element when it is named `root`.
S3Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view body, const char* root) {
  // parse_ws_pcdata_single keeps a whitespace-only text that is an element's
  // only child, so a key of " " is not read as "".
  pugi::xml_parse_result parsed = doc.load_buffer(
      body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata_single, pugi::encoding_utf8);
  if (!parsed) return S3Error::MalformedXML();
  pugi::xml_node node = doc.document_element();
  if (std::string_view(node.name()) != root) return S3Error::MalformedXML();
  return node;
}

std::string_view TrimmedText(pugi::xml_node node) { return Trim(node.child_value()); }

std::string StripQuotes(std::string_view etag) {
  etag = Trim(etag);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

S3Result<CompletedPart> ParsePart(pugi::xml_node node) {
  pugi::xml_node number = node.child("PartNumber");
  pugi::xml_node etag = node.child("ETag");
  if (!number || !etag) return S3Error::MalformedXML();
  std::string_view text = TrimmedText(number);
  CompletedPart part;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), part.part_number);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return S3Error::MalformedXML();
  if (part.part_number < 1 || part.part_number > kMaxPartNumber) {
    return S3Error::InvalidArgument("Part number must be an integer between 1 and 10000, inclusive");
  }
  part.etag = StripQuotes(etag.child_value());
  part.checksum_crc32 = TrimmedText(node.child("ChecksumCRC32"));
  part.checksum_crc32c = TrimmedText(node.child("ChecksumCRC32C"));
  part.checksum_sha1 = TrimmedText(node.child("ChecksumSHA1"));
  part.checksum_sha256 = TrimmedText(node.child("ChecksumSHA256"));
  return part;
}

}  // namespace

S3Result<CompleteMultipartUpload> ParseCompleteMultipartUpload(std::string_view body) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, body, "CompleteMultipartUpload");
  if (!root.ok()) return root.error();
  CompleteMultipartUpload request;
  for (pugi::xml_node node : root->children("Part")) {
    auto part = ParsePart(node);
    if (!part.ok()) return part.error();
    if (!request.parts.empty() && part->part_number <= request.parts.back().part_number) {
      return S3Error::InvalidPartOrder();
    }
    request.parts.push_back(std::move(part).value());
  }
  if (request.parts.empty()) return S3Error::MalformedXML();
  return request;
}

S3Result<DeleteObjectsRequest> ParseDeleteObjects(std::string_view body) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, body, "Delete");
  if (!root.ok()) return root.error();
  DeleteObjectsRequest request;
  if (pugi::xml_node quiet = root->child("Quiet")) {
    std::string_view q = TrimmedText(quiet);
    if (EqualsIgnoreCase(q, "true")) {
      request.quiet = true;
    } else if (!EqualsIgnoreCase(q, "false")) {
      return S3Error::MalformedXML();
    }
  }
  for (pugi::xml_node node : root->children("Object")) {
    pugi::xml_node key = node.child("Key");
    if (!key || request.objects.size() == kMaxDeleteObjects) return S3Error::MalformedXML();
    // Keys are taken verbatim: leading/trailing spaces are part of a key.
    request.objects.push_back({key.child_value(), std::string(TrimmedText(node.child("VersionId")))});
  }
  if (request.objects.empty()) return S3Error::MalformedXML();
  return request;
}

S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  if (Trim(body).empty()) return std::string();
  pugi::xml_document doc;
  auto root = LoadRoot(doc, body, "CreateBucketConfiguration");
  if (!root.ok()) return root.error();
  return std::string(TrimmedText(root->child("LocationConstraint")));
}

// ---------------------------------------------------------------- writer

void AppendXmlEscaped(std::string* out, std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&apos;");
        break;
      default:
        // '\r' too: a parser would turn a raw CR (or CRLF) into LF.
        if (c < 0x20 && c != '\t' && c != '\n') {
          out->append("&#x");
          if (c >= 16) out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
          out->push_back(';');
        } else {
          out->push_back(ch);
        }
    }
  }
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendXmlEscaped(&out, text);
  return out;
}

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

XmlWriter& XmlWriter::Open(std::string_view name, bool s3_namespace) {
  out_ += '<';
  out_ += name;
  if (s3_namespace) {
    out_ += " xmlns=\"";
    out_ += kS3XmlNamespace;
    out_ += '"';
  }
  out_ += '>';
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::Close() {
  if (open_.empty()) return *this;
  out_ += "</";
  out_ += open_.back();
  out_ += '>';
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  out_ += '<';
  out_ += name;
  out_ += '>';
  AppendXmlEscaped(&out_, text);
  out_ += "</";
  out_ += name;
  out_ += '>';
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, int64_t value) { return Element(name, std::to_string(value)); }
XmlWriter& XmlWriter::Element(std::string_view name, uint64_t value) { return Element(name, std::to_string(value)); }

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  std::string result = std::move(out_);
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  return result;
}

}  // namespace faasnet::s3
