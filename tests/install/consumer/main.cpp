// Fits a small exact low-rank matrix with the installed nmfkit and checks the fit: prints
// "relative error <e>" and exits 0 when the error is small, 1 otherwise. Then fits the same X
// held in a data class written here, against the installed public headers alone, and checks
// that it gives the built-in storage's W and H. The class sums its products in another order
// than the built-in kernels, and the default rule's extrapolation carries those last-bit
// differences forward through the iterations, so "the same" means within 1e-6 of the largest
// entry: a wrong product or a storage that is not used differ by far more.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <nmfkit/nmfkit.hpp>
#include <random>
#include <vector>

/// X as the caller holds it: row-major values, every product written out here.
class MyRows final : public nmfkit::Data<double> {
 public:
  MyRows(const std::vector<double>& x, nmfkit::Index n, nmfkit::Index m) : x_(x), n_(n), m_(m) {}
  nmfkit::Index rows() const override { return n_; }
  nmfkit::Index cols() const override { return m_; }
  nmfkit::DataStats stats() const override {
    nmfkit::DataStats s;
    for (double v : x_) s.squared_norm += v * v, s.sum += v;
    return s;
  }
  void times(const double* right, nmfkit::Index p, double scale, double* out, int) const override {
    for (nmfkit::Index i = 0; i < n_; ++i)
      for (nmfkit::Index l = 0; l < p; ++l) {
        double s = 0;
        for (nmfkit::Index j = 0; j < m_; ++j) s += x_[i * m_ + j] * right[j * p + l];
        out[i * p + l] = scale * s;
      }
  }
  void transpose_times(const double* right, nmfkit::Index p, double scale, double* out,
                       int) const override {
    for (nmfkit::Index j = 0; j < m_; ++j)
      for (nmfkit::Index l = 0; l < p; ++l) {
        double s = 0;
        for (nmfkit::Index i = 0; i < n_; ++i) s += x_[i * m_ + j] * right[i * p + l];
        out[j * p + l] = scale * s;
      }
  }
  nmfkit::DenseView<double> row_block(nmfkit::Index first, nmfkit::Index count,
                                      std::vector<double>&) const override {
    return nmfkit::DenseView<double>(x_.data() + first * m_, count, m_);
  }

 private:
  const std::vector<double>& x_;
  nmfkit::Index n_, m_;
};

/// The largest difference between a and b relative to b's largest entry.
double difference(const nmfkit::Matrix<double>& a, const nmfkit::Matrix<double>& b) {
  double largest = 0, diff = 0;
  for (std::size_t i = 0; i < b.values.size(); ++i) {
    largest = std::max(largest, std::abs(b.values[i]));
    diff = std::max(diff, std::abs(a.values[i] - b.values[i]));
  }
  return diff / largest;
}

int main() {
  // X (n × m) = W·H with random non-negative W (n × r) and H (r × m), a third of their entries
  // zero so that the factorization is essentially unique.
  const nmfkit::Index n = 120, m = 40, r = 4;
  std::mt19937 gen(1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> w(n * r), h(r * m), x(n * m, 0.0);
  for (double& v : w) v = u(gen) < 0.3 ? 0.0 : u(gen);
  for (double& v : h) v = u(gen) < 0.3 ? 0.0 : u(gen);
  for (nmfkit::Index i = 0; i < n; ++i)
    for (nmfkit::Index l = 0; l < r; ++l)
      for (nmfkit::Index j = 0; j < m; ++j) x[i * m + j] += w[i * r + l] * h[l * m + j];

  nmfkit::FitOptions options;
  options.k = int(r);
  options.max_iter = 500;
  options.tol = 0;
  try {
    const nmfkit::FitResult<double> fit =
        nmfkit::fit(nmfkit::DenseView<double>(x.data(), n, m), options);
    std::printf("nmfkit %s (kernels: %s)\n", nmfkit::version().data(), nmfkit::kernel_isa().data());
    std::printf("relative error %.3g after %d iterations\n", fit.relative_error, fit.iterations);
    if (!(fit.relative_error < 1e-4)) return 1;
    options.format = nmfkit::DataFormat::kDense;
    options.max_iter = 50;
    const MyRows mine(x, n, m);
    const nmfkit::FitResult<double> built_in =
        nmfkit::fit(nmfkit::DenseView<double>(x.data(), n, m), options);
    const nmfkit::FitResult<double> custom = nmfkit::fit(mine, options);
    const double dw = difference(custom.W, built_in.W), dh = difference(custom.H, built_in.H);
    std::printf("own data class: format %s, W and H within %.2g and %.2g of the built-in fit\n",
                custom.format.c_str(), dw, dh);
    return custom.format == "custom" && dw < 1e-6 && dh < 1e-6 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
