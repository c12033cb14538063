// nmfkit_sketch_probe: nmfkit's default fit of X's projection Q·B on a sketch of its range, through
// the public Data interface (docs/performance.md, sixteenth sitting). bench/sketch/sketch_probe.py
// makes Q (n × l, orthonormal columns) and B = Qᵀ·X (l × m) with numpy, runs this program and
// measures the factors' error against X itself.
//
// Usage: nmfkit_sketch_probe N M L K Q.bin B.bin W.bin H.bin
// (raw float32, row-major; W.bin and H.bin are written: N × K and K × M).
#include <Eigen/Dense>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nmfkit/nmfkit.hpp"

namespace {

using nmfkit::Index;
using Rows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Rows read_raw(const char* path, Index rows, Index cols) {
  std::ifstream f(path, std::ios::binary);
  Rows m(rows, cols);
  f.read(reinterpret_cast<char*>(m.data()), std::streamsize(rows * cols * Index(sizeof(float))));
  if (!f) throw std::runtime_error(std::string("cannot read ") + path);
  return m;
}

void write_raw(const char* path, const nmfkit::Matrix<float>& m) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(m.data()),
          std::streamsize(m.values.size() * sizeof(float)));
  if (!f) throw std::runtime_error(std::string("cannot write ") + path);
}

/// X = Q·B held as its two factors: the products go through them (l columns instead of m).
class LowRank final : public nmfkit::Data<float> {
 public:
  LowRank(Rows q, Rows b) : q_(std::move(q)), b_(std::move(b)) {
    const Eigen::MatrixXd x = (q_ * b_).cast<double>();
    stats_ = {x.squaredNorm(), x.sum()};
  }
  Index rows() const override { return q_.rows(); }
  Index cols() const override { return b_.cols(); }
  nmfkit::DataStats stats() const override { return stats_; }
  void times(const float* right, Index p, float scale, float* out, int) const override {
    const Rows c = b_ * Eigen::Map<const Rows>(right, b_.cols(), p);
    Eigen::Map<Rows>(out, q_.rows(), p).noalias() = scale * (q_ * c);
  }
  void transpose_times(const float* right, Index p, float scale, float* out, int) const override {
    const Rows d = q_.transpose() * Eigen::Map<const Rows>(right, q_.rows(), p);
    Eigen::Map<Rows>(out, b_.cols(), p).noalias() = scale * (b_.transpose() * d);
  }
  nmfkit::DenseView<float> row_block(Index first, Index count,
                                     std::vector<float>& buffer) const override {
    buffer.resize(static_cast<std::size_t>(count * b_.cols()));
    Eigen::Map<Rows>(buffer.data(), count, b_.cols()).noalias() = q_.middleRows(first, count) * b_;
    return nmfkit::DenseView<float>(buffer.data(), count, b_.cols(), b_.cols());
  }

 private:
  Rows q_, b_;
  nmfkit::DataStats stats_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "usage: %s N M L K Q.bin B.bin W.bin H.bin\n", argv[0]);
    return 2;
  }
  try {
    const Index n = std::atol(argv[1]), m = std::atol(argv[2]), l = std::atol(argv[3]);
    const LowRank x(read_raw(argv[5], n, l), read_raw(argv[6], l, m));
    nmfkit::FitOptions options;
    options.k = std::atoi(argv[4]);
    const auto start = std::chrono::steady_clock::now();
    const nmfkit::FitResult<float> r =
        nmfkit::fit(static_cast<const nmfkit::Data<float>&>(x), options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("iterations %d seconds %.3f\n", r.iterations, seconds);
    write_raw(argv[7], r.W);
    write_raw(argv[8], r.H);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nmfkit_sketch_probe: %s\n", e.what());
    return 1;
  }
  return 0;
}
