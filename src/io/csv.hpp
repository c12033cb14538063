#pragma once
/// Reading numeric CSV files into a samples × features array.
#include <string>
#include <vector>

#include "io/array.hpp"

namespace nmfkit::io {

struct Csv {
  Array values;                     ///< float64, shape {rows, columns}
  std::vector<std::string> header;  ///< the column names when the first row is a header, else empty
};

/// Reads a CSV file of numbers, one sample per line, cells separated by commas (or by tabs or
/// semicolons when the first line has no comma). The first line is a header when none of its
/// cells is a number. Cells may be quoted and padded with spaces; blank lines are ignored; "nan"
/// and "inf" parse (the fit refuses them later with its own message). Throws nmfkit::DataError
/// with one line naming the file, and for a bad cell its line, its sample (data row, 1-based) and
/// column (and the column's name when there is a header); every line must have as many cells as the
/// first.
Csv read_csv(const std::string& path);

}  // namespace nmfkit::io
