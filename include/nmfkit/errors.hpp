#pragma once
/// Typed exceptions thrown by nmfkit. Messages name the parameter or input and the offending value.
#include <stdexcept>
#include <string>

namespace nmfkit {

/// Base class of every nmfkit exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parameter is out of range or inconsistent (a usage error).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

/// The data cannot be factorized as given (negative, NaN/Inf, malformed file, wrong shape).
class DataError : public Error {
 public:
  using Error::Error;
};

/// The computation broke down (non-finite values appeared during the fit).
class NumericError : public Error {
 public:
  using Error::Error;
};

/// The work was stopped from outside before it finished (FitContext::cancel, or the progress
/// callback of select_rank).
class Cancelled : public Error {
 public:
  using Error::Error;
};

}  // namespace nmfkit
