// Fits a small exact low-rank matrix with the installed nmfkit and checks the fit: prints
// "relative error <e>" and exits 0 when the error is small, 1 otherwise.
#include <cstdio>
#include <exception>
#include <nmfkit/nmfkit.hpp>
#include <random>
#include <vector>

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
    return fit.relative_error < 1e-4 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: %s\n", e.what());
    return 1;
  }
}
