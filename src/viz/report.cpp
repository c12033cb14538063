#include "viz/report.hpp"

namespace nmfkit::viz {
namespace {

constexpr const char* kStyle = R"(body{font-family:sans-serif;margin:24px auto;max-width:1100px;
color:#222;background:#fff;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left;vertical-align:top}
th{font-weight:normal;color:#555}
figure{margin:12px 0}figcaption{color:#555;font-size:14px;margin-top:4px}
img{max-width:100%;height:auto;image-rendering:pixelated;border:1px solid #ddd}
table.matrix td,table.matrix th{padding:3px 6px;text-align:center;font-size:13px;
border:1px solid #e4e4e4}table.matrix td:first-child,table.matrix th:first-child{text-align:left}
pre{background:#f4f4f4;padding:10px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
)";

std::string table(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string s = "<table>\n";
  for (const auto& [k, v] : rows)
    s += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
  return s + "</table>\n";
}

std::string matrix_table(const ReportTable& t) {
  std::string s = "<table class=\"matrix\">\n<tr>";
  for (const std::string& h : t.header) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr>\n";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c) {
      const ReportCell& cell = row[c];
      const char* tag = c == 0 ? "th" : "td";
      std::string style;
      if (!cell.background.empty()) style += "background:" + cell.background + ";";
      if (cell.white_text) style += "color:#fff;";
      if (cell.strong) style += "font-weight:bold;";
      s += std::string("<") + tag + (style.empty() ? "" : " style=\"" + html_escape(style) + "\"") +
           ">" + html_escape(cell.text) + "</" + tag + ">";
    }
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

}  // namespace

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = unsigned{bytes[i]} << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (unsigned{bytes[i]} << 16) | (unsigned{bytes[i + 1]} << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string report_html(const Report& r) {
  std::string s =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      html_escape(r.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
      html_escape(r.title) + "</h1>\n";
  s += table(r.results);
  for (const ReportFigure& f : r.figures) {
    s += "<h2>" + html_escape(f.title) + "</h2>\n";
    if (f.data.empty())  // a table without a picture
      s += "<p>" + html_escape(f.caption) + "</p>\n";
    else
      s += "<figure>\n<img alt=\"" + html_escape(f.title) + "\" src=\"data:" + f.mime + ";base64," +
           base64(f.data) + "\">\n<figcaption>" + html_escape(f.caption) +
           "</figcaption>\n</figure>\n";
    if (f.table) s += matrix_table(*f.table);
  }
  s += "<h2>Reproduce</h2>\n<pre>" + html_escape(r.command) + "</pre>\n";
  s += "<h2>Parameters</h2>\n" + table(r.parameters);
  return s + "</body>\n</html>\n";
}

}  // namespace nmfkit::viz
