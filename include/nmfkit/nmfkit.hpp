#pragma once
/// Umbrella header of nmfkit's numeric core.
#include "nmfkit/context.hpp"
#include "nmfkit/data.hpp"
#include "nmfkit/errors.hpp"
#include "nmfkit/fit.hpp"
#include "nmfkit/fit_best.hpp"
#include "nmfkit/matrix.hpp"
#include "nmfkit/minibatch.hpp"
#include "nmfkit/options.hpp"
#include "nmfkit/rank.hpp"
#include "nmfkit/result.hpp"
#include "nmfkit/solver.hpp"
#include "nmfkit/version.hpp"
