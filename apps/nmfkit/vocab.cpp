#include "vocab.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "nmfkit/errors.hpp"

namespace nmfkit::cli {

namespace {

std::string weight_text(double w) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", w);
  return text;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && !s.empty() && s.front() != ' ' &&
      s.back() != ' ')
    return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::vector<std::string> read_vocab(const std::string& path, Index n_features) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open vocabulary '" + path + "'");
  std::vector<std::string> words;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (static_cast<Index>(words.size()) >= n_features) {
      // Count the rest for the message, without keeping it.
      Index more = 1;
      while (std::getline(in, line)) ++more;
      throw DataError("vocabulary '" + path + "' has " +
                      std::to_string(static_cast<Index>(words.size()) + more) +
                      " lines but X has " + std::to_string(n_features) +
                      " features (one term per line, one line per column)");
    }
    words.push_back(std::move(line));
  }
  if (in.bad()) throw DataError("cannot read vocabulary '" + path + "'");
  if (static_cast<Index>(words.size()) != n_features)
    throw DataError("vocabulary '" + path + "' has " + std::to_string(words.size()) +
                    " lines but X has " + std::to_string(n_features) +
                    " features (one term per line, one line per column)");
  return words;
}

template <typename T>
TopWords top_words(const DenseView<T>& h, const std::vector<std::string>& vocab, int count) {
  TopWords out(static_cast<std::size_t>(h.rows));
  std::vector<Index> order(static_cast<std::size_t>(h.cols));
  for (Index j = 0; j < h.rows; ++j) {
    std::iota(order.begin(), order.end(), Index{0});
    const auto n = std::min<std::size_t>(static_cast<std::size_t>(count), order.size());
    const T* row = h.row(j);
    std::partial_sort(
        order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
        [row](Index a, Index b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
    for (std::size_t r = 0; r < n; ++r) {
      const Index p = order[r];
      if (!(row[p] > 0)) break;
      out[static_cast<std::size_t>(j)].push_back(
          {vocab[static_cast<std::size_t>(p)], static_cast<double>(row[p])});
    }
  }
  return out;
}

nlohmann::ordered_json top_words_json(const TopWords& words) {
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto& component : words) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const TopWord& w : component) list.push_back({{"word", w.word}, {"weight", w.weight}});
    j.push_back(std::move(list));
  }
  return j;
}

std::string top_words_text(const TopWords& words) {
  std::string s;
  for (std::size_t j = 0; j < words.size(); ++j) {
    s += "component " + std::to_string(j) + ":";
    for (std::size_t r = 0; r < words[j].size(); ++r)
      s += (r == 0 ? " " : ", ") + words[j][r].word + " (" + weight_text(words[j][r].weight) + ")";
    s += "\n";
  }
  return s;
}

std::string top_words_csv(const TopWords& words) {
  std::string s = "component,rank,word,weight\n";
  for (std::size_t j = 0; j < words.size(); ++j)
    for (std::size_t r = 0; r < words[j].size(); ++r) {
      char weight[32];
      std::snprintf(weight, sizeof weight, "%.9g", words[j][r].weight);
      s += std::to_string(j) + "," + std::to_string(r + 1) + "," + csv_cell(words[j][r].word) +
           "," + weight + "\n";
    }
  return s;
}

viz::ReportFigure top_words_figure(const TopWords& words) {
  viz::ReportTable table;
  table.header = {"component"};
  std::size_t most = 0;
  for (const auto& c : words) most = std::max(most, c.size());
  for (std::size_t r = 0; r < most; ++r) table.header.push_back(std::to_string(r + 1));
  for (std::size_t j = 0; j < words.size(); ++j) {
    std::vector<viz::ReportCell> row(most + 1);
    row[0].text = std::to_string(j);
    for (std::size_t r = 0; r < words[j].size(); ++r)
      row[r + 1].text = words[j][r].word + " (" + weight_text(words[j][r].weight) + ")";
    table.rows.push_back(std::move(row));
  }
  return {"Top words",
          "One row per component: the " + std::to_string(kTopWords) +
              " terms with the largest weights in its row of H (the weight in brackets), "
              "largest first; also in top-words.txt and top-words.csv.",
          "",
          {},
          std::move(table)};
}

template TopWords top_words<float>(const DenseView<float>&, const std::vector<std::string>&, int);
template TopWords top_words<double>(const DenseView<double>&, const std::vector<std::string>&, int);

}  // namespace nmfkit::cli
