#include <catch2/catch.hpp>

#include "nuq/numeric/bfloat16.hpp"
#include "nuq/numeric/float16.hpp"

TEST_CASE("bf16 and fp16 round trip every bit pattern") {
    for (std::uint32_t b = 0; b < 65536; ++b) {
        auto const h = static_cast<std::uint16_t>(b);
        float const fb = float(nuq::bfloat16_t::from_bits(h));
        if (fb == fb) REQUIRE(nuq::bfloat16_t(fb).bits == h);
        float const fh = float(nuq::float16_t::from_bits(h));
        if (fh == fh) REQUIRE(nuq::float16_t(fh).bits == h);
    }
}
