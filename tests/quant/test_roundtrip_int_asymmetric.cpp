// Round trip and NaN/inf units of every asymmetric int quantizer (quant/roundtrip_cases.hpp).
#include <utility>

#include "quant/roundtrip_cases.hpp"

using int_asymmetric =
    decltype(nuq::detail::int_family<false>(std::make_integer_sequence<int, 8>{}));
NUQ_ROUNDTRIP_TESTS("int asymmetric", int_asymmetric)
