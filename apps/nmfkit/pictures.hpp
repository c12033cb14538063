#pragma once
// The pictures of a run and its report, drawn from X, W, H and summary.json's fields:
// components.png, reconstructions.png, top-examples.png, loss.svg and report.html. Used by
// `nmfkit fit` and `nmfkit render`.
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "classes.hpp"
#include "nmfkit/matrix.hpp"
#include "output_dir.hpp"
#include "viz/components.hpp"
#include "viz/report.hpp"
#include "vocab.hpp"

namespace nmfkit::cli {

/// Samples shown in reconstructions.png, and examples per component in top-examples.png.
inline constexpr int kReconstructionSamples = 8;
inline constexpr int kTopExamples = 8;

/// Writes the pictures and report.html into `out` (staged) and returns the names written.
/// `summary` provides the report's text (command_line, loss_history, history_seconds, errors,
/// parameters). A picture that cannot be drawn (rows that are not images, or too large) is left
/// out with a note on stderr unless quiet. With summary["rank_selection"] (-k auto) the report
/// shows the selection's curve and, given `rank_rows`, rank-components.png; `render` (which has
/// no rows) sets `keep_rank_picture` to show the one the fit wrote in OUTDIR. With `classes`,
/// classes.png and the report's section on them (write_classes). With `words` (--vocab: the rows
/// are terms, not images) top-words.txt, top-words.csv and the report's table of them take the
/// place of the pictures of components and samples (classes.png included; its table stays).
/// Without samples (`x` empty) the pictures that show them are left out.
template <typename T>
std::vector<std::string> write_pictures(OutputDir& out, const nlohmann::ordered_json& summary,
                                        const viz::SampleRows<T>& x, const DenseView<T>& w,
                                        const DenseView<T>& h, const viz::ImageShape& image,
                                        const viz::ComponentsStyle& style, bool quiet,
                                        const Classes* classes,
                                        const std::vector<viz::ComponentRow>& rank_rows = {},
                                        bool keep_rank_picture = false,
                                        const TopWords* words = nullptr);

/// Writes classes.png into `out` (unless it cannot be drawn: a note unless quiet) and returns the
/// report's figure of the classes: the picture (when drawn), a caption and the matrix as a table.
/// Adds the file's name to `written`. Without `picture`, only the caption and the table.
template <typename T>
viz::ReportFigure write_classes(OutputDir& out, const Classes& classes, const viz::SampleRows<T>& x,
                                const DenseView<T>& w, const DenseView<T>& h,
                                const viz::ImageShape& image, const viz::ComponentsStyle& style,
                                bool quiet, std::vector<std::string>& written, bool picture = true);

/// The report's figure of a selection's curve (rank.svg) from its JSON (rank_json()); none when
/// it has no points.
std::optional<viz::ReportFigure> rank_choice_figure(const nlohmann::ordered_json& selection);

/// Writes rank-components.png (one row of components per k) into `out`, adds its figure to the
/// report and its name to `written`; false (with a note unless quiet) when it cannot be drawn.
/// Without rows and with `keep_existing`, the report shows the picture already in OUTDIR.
bool write_rank_components(OutputDir& out, const std::vector<viz::ComponentRow>& rows,
                           const viz::ImageShape& image, const viz::ComponentsStyle& style,
                           bool quiet, bool warm_start, viz::Report& report,
                           std::vector<std::string>& written, bool keep_existing = false);

/// X as the pictures draw it: the entries `observed` marks missing (0) are NaN, drawn as a
/// checkerboard; `observed` empty leaves X as it is.
template <typename T>
void mark_missing(std::vector<T>& x, const std::vector<std::uint8_t>& observed) {
  if (observed.size() != x.size()) return;
  for (std::size_t p = 0; p < x.size(); ++p)
    if (observed[p] == 0) x[p] = std::numeric_limits<T>::quiet_NaN();
}

/// Total activation of each component: sum_i W_ij times the sum of H_j, the intensity component
/// j carries in the reconstruction W·H (unchanged by rescaling W_j and H_j inversely).
template <typename T>
std::vector<double> component_usage(const Matrix<T>& w, const Matrix<T>& h);

/// Reorders the columns of W and the rows of H by decreasing usage (ties keep their order).
template <typename T>
void sort_by_usage(Matrix<T>& w, Matrix<T>& h);

}  // namespace nmfkit::cli
