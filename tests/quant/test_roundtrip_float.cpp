// Round trip and NaN/inf units of every float quantizer: fp8, NVFP4, MXFP4, MXFP8
// (quant/roundtrip_cases.hpp).
#include "quant/roundtrip_cases.hpp"

using float_quantizers = nuq::detail::join<
    nuq::detail::plain_strategies<nuq::scheme::float8_e4m3>,
    nuq::type_list<nuq::quantizer<nuq::scheme::nvfp4, nuq::strategy::tensor_group>,
                   nuq::quantizer<nuq::scheme::mxfp4, nuq::strategy::group>,
                   nuq::quantizer<nuq::scheme::mxfp8, nuq::strategy::group>>>::type;
NUQ_ROUNDTRIP_TESTS("float", float_quantizers)

// The three lists together are every quantizer nuq has.
static_assert(std::variant_size_v<nuq::quantizer_variant> ==
              64 + std::variant_size_v<nuq::detail::to_variant<float_quantizers>::type>);
