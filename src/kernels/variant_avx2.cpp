// The hot kernels for the avx2 instruction set (kernels/variant.inl).
#define NMFKIT_VARIANT 1
#include "kernels/variant.inl"
