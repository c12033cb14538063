// The hot kernels for the baseline instruction set (kernels/variant.inl).
#define NMFKIT_VARIANT 0
#include "kernels/variant.inl"
