#pragma once
/// report.html: one self-contained page (pictures embedded as data: URIs, no scripts, no
/// external references) describing a run.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nmfkit::viz {

/// A cell of a figure's table: its text and, optionally, its background ("#rrggbb") and bold.
struct ReportCell {
  std::string text;
  std::string background;  ///< empty: none
  bool white_text = false;
  bool strong = false;
};

/// A table shown under a figure (e.g. the class × component matrix): a header row, then rows
/// whose first cell is a heading.
struct ReportTable {
  std::vector<std::string> header;
  std::vector<std::vector<ReportCell>> rows;
};

struct ReportFigure {
  std::string title;
  std::string caption;
  std::string mime;                                 ///< "image/png" or "image/svg+xml"
  std::vector<std::uint8_t> data;                   ///< the file's bytes
  std::optional<ReportTable> table = std::nullopt;  ///< shown under the picture
};

struct Report {
  std::string title;
  std::string command;  ///< the command line that reproduces the run
  std::vector<std::pair<std::string, std::string>> results;     ///< shown first (errors, time)
  std::vector<std::pair<std::string, std::string>> parameters;  ///< the run's settings
  std::vector<ReportFigure> figures;
};

/// RFC 4648 base64 with padding.
std::string base64(const std::vector<std::uint8_t>& bytes);

/// Text with &, <, >, " and ' escaped for HTML.
std::string html_escape(const std::string& text);

/// The page: title, results, figures (each an <img> with a data: URI and its natural size left to
/// the image), the command and the parameters.
std::string report_html(const Report& report);

}  // namespace nmfkit::viz
