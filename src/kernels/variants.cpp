// The dispatched kernels that live outside csr.cpp and dense.cpp.
#include "kernels/variants.hpp"

namespace nmfkit::rules {

template <typename T>
void coordinate_descent_lanes(T* f, const T* p, Index count, double l1, const double* g, Index k,
                              const SweepControl& control, LaneScratch& s, double* violation) {
  NMFKIT_DISPATCH(coordinate_descent_lanes, f, p, count, l1, g, k, control, s, violation);
}

template void coordinate_descent_lanes<float>(float*, const float*, Index, double, const double*,
                                              Index, const SweepControl&, LaneScratch&, double*);
template void coordinate_descent_lanes<double>(double*, const double*, Index, double, const double*,
                                               Index, const SweepControl&, LaneScratch&, double*);

}  // namespace nmfkit::rules
