// The hot kernels for the avx512 instruction set (kernels/variant.inl).
#define NMFKIT_VARIANT 2
#include "kernels/variant.inl"
