// Round trip and NaN/inf units of every symmetric int quantizer (quant/roundtrip_cases.hpp).
#include <utility>

#include "quant/roundtrip_cases.hpp"

using int_symmetric =
    decltype(nuq::detail::int_family<true>(std::make_integer_sequence<int, 8>{}));
NUQ_ROUNDTRIP_TESTS("int symmetric", int_symmetric)
