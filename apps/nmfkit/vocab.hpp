#pragma once
// --vocab FILE: the name of each feature (a term of a term-document matrix), and each component's
// top words: the features with the largest weights in its row of H. They take the place of the
// component images for data whose rows are not images, in the summary, top-words.txt,
// top-words.csv and the report.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nmfkit/matrix.hpp"
#include "viz/report.hpp"

namespace nmfkit::cli {

/// Words listed per component.
inline constexpr int kTopWords = 10;

/// The vocabulary's copy in an output folder of `nmfkit fit` (model.json's "vocab").
inline constexpr const char* kVocabFile = "vocab.txt";

struct TopWord {
  std::string word;
  double weight = 0;
};
/// One list per component, largest weight first; only words with a positive weight.
using TopWords = std::vector<std::vector<TopWord>>;

/// Reads a vocabulary: one term per line ('\r\n' endings allowed, a last line without '\n' counts),
/// `n_features` of them. Throws DataError with one line naming the file when it cannot be read or
/// has another number of lines.
std::vector<std::string> read_vocab(const std::string& path, Index n_features);

/// The `count` features with the largest weights in each row of H (ties: the lower index first).
template <typename T>
TopWords top_words(const DenseView<T>& h, const std::vector<std::string>& vocab,
                   int count = kTopWords);

/// summary.json's "top_words": [[{"word": …, "weight": …}, …], …].
nlohmann::ordered_json top_words_json(const TopWords& words);
/// top-words.txt: "component 0: word (weight), …", one line per component.
std::string top_words_text(const TopWords& words);
/// top-words.csv: component,rank,word,weight (words quoted as CSV needs).
std::string top_words_csv(const TopWords& words);
/// The report's section: a table of one row per component.
viz::ReportFigure top_words_figure(const TopWords& words);

}  // namespace nmfkit::cli
