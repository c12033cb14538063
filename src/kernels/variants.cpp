// The dispatched kernels that live outside csr.cpp and dense.cpp.
#include "kernels/variants.hpp"

namespace nmfkit::rules {

template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const T* g, Index k,
                              const SweepControl& control, LaneScratch<T>& s, double* violation) {
  NMFKIT_DISPATCH(coordinate_descent_lanes, f, p, count, l1, g, k, control, s, violation);
}

template void coordinate_descent_lanes<float>(float*, const float*, Index, double, const float*,
                                              Index, const SweepControl&, LaneScratch<float>&,
                                              double*);
template void coordinate_descent_lanes<double>(double*, const double*, Index, double, const double*,
                                               Index, const SweepControl&, LaneScratch<double>&,
                                               double*);

}  // namespace nmfkit::rules

namespace nmfkit::kernels {

template <typename T>
std::unique_ptr<core::FillOps<T>> make_fill(const core::MissingEntries& e, Index n, Index m,
                                            Index k, int threads, double partials_limit_bytes) {
  NMFKIT_DISPATCH(make_fill<T>, e, n, m, k, threads, partials_limit_bytes);
}

template std::unique_ptr<core::FillOps<float>> make_fill<float>(const core::MissingEntries&, Index,
                                                                Index, Index, int, double);
template std::unique_ptr<core::FillOps<double>> make_fill<double>(const core::MissingEntries&,
                                                                  Index, Index, Index, int, double);

}  // namespace nmfkit::kernels
