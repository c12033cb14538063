// The element-wise work of the β-divergences on blocks of X and W·H (core/beta.cpp forms W·H by
// BLAS and calls these): kernels/dense.hpp's beta_divergence_rows and beta_mu_terms, compiled
// once per instruction set inside a variant namespace by kernels/variant.inl (no includes here).
// The logarithm is kernels::log_positive (within 1 ulp of std::log, no libm call) and the powers
// of half-integer β are products and square roots, so the loops vectorise. Sums are kept in
// kBetaLanes fixed lanes (entry j goes to lane j mod kBetaLanes) added in a fixed order: the same
// bytes whatever the vector width.

namespace beta_detail {

constexpr int kBetaLanes = 8;
constexpr double kEps = kBetaLoopsEpsilon;

/// Marks a β without a specialised power (see with_beta).
constexpr int kAnyBeta = 1000;

/// v^(H/2) by products, quotients and square roots, in V (double, or float for the update's
/// terms of a float fit).
template <int H, typename V>
inline V power_halves(V v) {
  static_assert(H >= -8 && H <= 8);
  if constexpr (H < 0)
    return V(1) / power_halves<-H>(v);
  else if constexpr (H == 0)
    return V(1);
  else if constexpr (H == 1)
    return std::sqrt(v);
  else if constexpr (H == 2)
    return v;
  else if constexpr (H % 2 == 1)
    return power_halves<H - 1>(v) * std::sqrt(v);
  else
    return power_halves<H - 2>(v) * v;
}

/// v^(β − O/2), where B is β in halves, or kAnyBeta for pow_positive (kernels/fast_log.hpp, it
/// vectorises) with `e` = β − O/2.
template <int B, int O, typename V>
inline V power(V v, double e) {
  if constexpr (B == kAnyBeta)
    return static_cast<V>(pow_positive(double(v), e));
  else
    return power_halves<B - O>(v);
}

/// Calls f(std::integral_constant<int, B>) with B = 2β for the common β whose powers need only
/// square roots (0, ½, 3/2, 5/2, 3), else with B = kAnyBeta.
template <typename F>
decltype(auto) with_beta(double beta, F&& f) {
  if (beta == 0) return f(std::integral_constant<int, 0>{});
  if (beta == 0.5) return f(std::integral_constant<int, 1>{});
  if (beta == 1.5) return f(std::integral_constant<int, 3>{});
  if (beta == 2.5) return f(std::integral_constant<int, 5>{});
  if (beta == 3) return f(std::integral_constant<int, 6>{});
  return f(std::integral_constant<int, kAnyBeta>{});
}

/// W·H = 0 replaced by ε.
inline double safe(double wh) {
  return wh == 0 ? kEps : wh;
}

/// Σ_j term(j) over j < m in kBetaLanes lanes, added as ((l0 + l1) + (l2 + l3)) + (...).
template <typename F>
double lane_sum(Index m, F&& term) {
  double lane[kBetaLanes] = {};
  Index j = 0;
  for (; j + kBetaLanes <= m; j += kBetaLanes) {
#pragma omp simd
    for (int l = 0; l < kBetaLanes; ++l) lane[l] += term(j + l);
  }
  for (int l = 0; j < m; ++j, ++l) lane[l] += term(j);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

/// One row's unnormalised divergence terms (see dense.hpp).
template <typename T>
double divergence_row(const T* x, double s, const T* wh_row, Index m, double beta) {
  if (beta == 2)
    return lane_sum(m, [&](Index j) {
      const double d = s * double(x[j]) - double(wh_row[j]);
      return d * d;
    });
  if (beta == 1) {
    const double sum = lane_sum(m, [&](Index j) {
      const double xs = s * double(x[j]), wh = double(wh_row[j]);
      // Where xs ≤ ε the logarithm is of a meaningless argument and is not selected.
      const double t = xs * log_positive(xs / safe(wh)) - xs + wh;
      return xs > kEps ? t : wh;
    });
    if (std::isfinite(sum)) return sum;
    // An overflowing or subnormal quotient (far outside what a fit produces): libm's log.
    double exact = 0;
    for (Index j = 0; j < m; ++j) {
      const double xs = s * double(x[j]), wh = double(wh_row[j]);
      exact += xs > kEps ? xs * std::log(xs / safe(wh)) - xs + wh : wh;
    }
    return exact;
  }
  if (beta == 0) {
    // Where xs ≤ ε the term is −1: r is read as 1 there (r − 1 − log r = 0) and 1 taken off.
    // Written without a branch (the quotient formed in every lane, then selected) so that it
    // vectorises: GCC keeps a division under a condition scalar.
    const double sum = lane_sum(m, [&](Index j) {
      const double xs = s * double(x[j]);
      const double wh = double(wh_row[j]);
      const double stored = xs > kEps ? 1.0 : 0.0;
      const double r = stored * (xs / (wh + (wh == 0 ? kEps : 0.0))) + (1.0 - stored);
      return (r - 1 - log_positive(r)) - (1.0 - stored);
    });
    if (std::isfinite(sum)) return sum;
    double exact = 0;
    for (Index j = 0; j < m; ++j) {
      const double xs = s * double(x[j]);
      if (xs > kEps) {
        const double r = xs / safe(double(wh_row[j]));
        exact += r - 1 - std::log(r);
      } else {
        exact -= 1;
      }
    }
    return exact;
  }
  return with_beta(beta, [&](auto b) {
    constexpr int B = decltype(b)::value;
    return lane_sum(m, [&](Index j) {
      const double xs = s * double(x[j]), wh = double(wh_row[j]);
      const double p = power<B, 2>(safe(wh), beta - 1);  // wh^(β−1), wh = 0 replaced by ε
      const double wh_beta = wh == 0 ? power<B, 0>(0.0, beta) : p * wh;
      const double with_x = power<B, 0>(xs, beta) - beta * xs * p + (beta - 1) * wh_beta;
      return xs > kEps ? with_x : (beta - 1) * power<B, 0>(wh, beta);
    });
  });
}

}  // namespace beta_detail

template <typename T>
double beta_divergence_rows(const T* x, Index x_stride, const T* wh, Index rows, Index m, double s,
                            double beta) {
  double sum = 0;
  for (Index i = 0; i < rows; ++i)
    sum += beta_detail::divergence_row(x + i * x_stride, s, wh + i * m, m, beta);
  return sum;
}

template <typename T>
void beta_mu_terms(const T* x, Index x_stride, Index rows, Index m, double s, double beta, T* wh,
                   T* num) {
  using beta_detail::kEps;
  if (beta == 1) {
    // The quotient in T, as scikit-learn forms it (X / W·H in X's precision): s·x rounded to T,
    // then one division in T. In float that is 16 lanes of division per vector instead of 8.
    const T st = static_cast<T>(s), eps = static_cast<T>(kEps);
    for (Index i = 0; i < rows; ++i) {
      const T* xi = x + i * x_stride;
      const T* whi = wh + i * m;
      T* numi = num + i * m;
#pragma omp simd
      for (Index j = 0; j < m; ++j)
        numi[j] = (st * xi[j]) / (whi[j] + (whi[j] == T(0) ? eps : T(0)));
    }
    return;
  }
  beta_detail::with_beta(beta, [&](auto b) {
    constexpr int B = decltype(b)::value;
    constexpr bool kFixed = B != beta_detail::kAnyBeta;
    const bool safe_num = kFixed ? B < 4 : beta < 2;  // ε replaces W·H = 0 for β < 2
    const bool safe_den = kFixed ? B < 2 : beta < 1;  // and in the denominator for β < 1
    // In T, as scikit-learn forms them (in X's precision): in float 16 lanes of square roots
    // and divisions per vector instead of 8.
    const T st = static_cast<T>(s), eps = static_cast<T>(kEps);
    if constexpr (!kFixed) {
      // One power per entry (pow_positive, which vectorises): q = (W·H)^(β−1) of d (W·H, or ε
      // for W·H = 0 where β < 1), then (W·H)^(β−2) = q / d, or where d = 0 its value there
      // (ε^(β−2) for 1 < β < 2, 0 for β > 2). q stays finite for any positive float d.
      const T p_zero = safe_num ? static_cast<T>(pow_positive(double(eps), beta - 2)) : T(0);
      for (Index i = 0; i < rows; ++i) {
        const T* xi = x + i * x_stride;
        T* whi = wh + i * m;
        T* numi = num + i * m;
#pragma omp simd
        for (Index j = 0; j < m; ++j) {
          const T v = whi[j];
          const T d = v + (safe_den && v == T(0) ? eps : T(0));
          const T q = static_cast<T>(pow_positive(double(d), beta - 1));
          const T p = d != T(0) ? q / d : p_zero;
          const T xs = st * xi[j];
          numi[j] = xs != T(0) ? xs * p : T(0);
          whi[j] = q;
        }
      }
      return;
    }
    for (Index i = 0; i < rows; ++i) {
      const T* xi = x + i * x_stride;
      T* whi = wh + i * m;
      T* numi = num + i * m;
      // W·H = 0 replaced by ε as a sum, not a choice between two values: GCC keeps a division
      // under a condition scalar, and a sum of 0 leaves v as it is.
      // Where W·H is tiny, (W·H)^(β−2) overflows float for β < 1 (below about 1e-26 at β = ½,
      // which MNIST's fits reach). There the numerator's term is 0 where x = 0 (it was 0·inf =
      // NaN), and (W·H)^(β−1) is formed from W·H itself, as scikit-learn forms it (as
      // (W·H)^(β−2)·W·H it was inf, and inf times a zero of H NaN). Elsewhere the same values.
#pragma omp simd
      for (Index j = 0; j < m; ++j) {
        const T v = whi[j];
        const T vs = v + (safe_num && v == T(0) ? eps : T(0));
        const T p = beta_detail::power<B, 4>(vs, beta - 2);  // (W·H)^(β−2)
        const T xs = st * xi[j];
        numi[j] = xs != T(0) ? xs * p : T(0);
        const T d = safe_den ? vs : v;
        whi[j] = std::isinf(p) ? beta_detail::power<B, 2>(d, beta - 1) : p * d;  // (W·H)^(β−1)
      }
    }
  });
}
