#pragma once
// Preset schemes (docs/FORMAT.md §2; CT 0.18 `PRESET_SCHEMES`): a name such as "W4A16" or "NVFP4"
// stands for fixed weight / input-activation args. Names match case-insensitively.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quant_scheme.hpp"

namespace nuq {

/// Every preset name, in CT's registration order.
inline constexpr std::array<std::string_view, 30> preset_names{
    "UNQUANTIZED", "W4A16_ASYM", "W8A8",  "INT8",  "W4AFP8", "FP8",   "FP8_DYNAMIC", "FP8_BLOCK",
    "NVFP4A16",    "NVFP4",      "MXFP4A16", "MXFP4", "MXFP8A16", "MXFP8", "W2A4",   "W2A8",
    "W2A16",       "W3A4",       "W3A8",  "W3A16", "W4A4",   "W4A8",  "W4A16",  "W5A8",
    "W5A16",       "W6A8",       "W6A16", "W7A8",  "W7A16",  "W8A16"};

/// The canonical (upper-case) spelling of a preset name, if it is one.
constexpr std::optional<std::string_view> preset_canonical_name(std::string_view name) {
    for (auto n : preset_names)
        if (detail::cfg::iequals(n, name)) return n;
    return std::nullopt;
}

constexpr bool is_preset(std::string_view name) {
    return preset_canonical_name(name).has_value();
}

namespace detail::preset {

inline quant_args args(quant_type type, int bits, quant_strategy strategy,
                       std::optional<int> group_size = std::nullopt) {
    quant_args a;
    a.type = type;
    a.num_bits = bits;
    a.strategy = strategy;
    a.group_size = group_size;
    return a;
}
inline quant_args dynamic(quant_args a) {
    a.dynamic = dynamic_mode::dynamic;
    return a;
}
inline quant_args with_dtypes(quant_args a, dtype scale, dtype zp) {
    a.scale_dtype = scale;
    a.zp_dtype = zp;
    return a;
}
// `_int_wnam(w, a)`: int w-bit group-128 weights, int a-bit per-token dynamic inputs (a < 16).
inline quant_scheme int_wnam(int w, int a) {
    quant_scheme s;
    s.weights = args(quant_type::int_, w, quant_strategy::group, 128);
    if (a < 16) s.input_activations = dynamic(args(quant_type::int_, a, quant_strategy::token));
    return s;
}
// MX: power-of-two uint8 (E8M0) scales over groups of 32; inputs are dynamic.
inline quant_scheme mx(int bits, bool with_inputs) {
    quant_scheme s;
    auto const w = args(quant_type::float_, bits, quant_strategy::group, 32);
    s.weights = with_dtypes(w, dtype::uint8, dtype::uint8);
    if (with_inputs) s.input_activations = dynamic(*s.weights);
    return s;
}
// NVFP4: fp8 scales over groups of 16 under an f32 global scale.
inline quant_scheme nvfp4(bool with_inputs) {
    quant_scheme s;
    auto const w = args(quant_type::float_, 4, quant_strategy::tensor_group, 16);
    s.weights = with_dtypes(w, dtype::float8_e4m3fn, dtype::float8_e4m3fn);
    if (with_inputs) {
        auto i = *s.weights;
        i.dynamic = dynamic_mode::local;
        i.observer = "static_minmax";
        s.input_activations = i;
    }
    return s;
}

inline quant_scheme unvalidated(std::string_view name) {
    using T = quant_type;
    using S = quant_strategy;
    quant_scheme s;
    if (name == "UNQUANTIZED") return s;
    if (name == "W4A16_ASYM") {
        s.weights = args(T::int_, 4, S::group, 128);
        s.weights->symmetric = false;
    } else if (name == "W8A8" || name == "INT8") {
        s.weights = args(T::int_, 8, S::channel);
        s.input_activations = dynamic(args(T::int_, 8, S::token));
    } else if (name == "W4AFP8") {
        s.weights = args(T::int_, 4, S::group, 128);
        s.input_activations = dynamic(args(T::float_, 8, S::token));
    } else if (name == "FP8") {
        s.weights = args(T::float_, 8, S::tensor);
        s.input_activations = args(T::float_, 8, S::tensor);
        s.input_activations->observer = "static_minmax";
    } else if (name == "FP8_DYNAMIC") {
        s.weights = args(T::float_, 8, S::channel);
        s.input_activations = dynamic(args(T::float_, 8, S::token));
    } else if (name == "FP8_BLOCK") {
        s.weights = args(T::float_, 8, S::block);
        s.weights->block_structure = std::array<int, 2>{128, 128};
        s.input_activations = dynamic(args(T::float_, 8, S::group, 128));
    } else if (name == "NVFP4A16" || name == "NVFP4") {
        s = nvfp4(name == "NVFP4");
    } else if (name == "MXFP4A16" || name == "MXFP4") {
        s = mx(4, name == "MXFP4");
    } else if (name == "MXFP8A16" || name == "MXFP8") {
        s = mx(8, name == "MXFP8");
    } else {
        // W{w}A{a}: the remaining names are exactly the registered _int_wnam ones.
        int const w = name[1] - '0';
        int const a = name.substr(3) == "16" ? 16 : name[3] - '0';
        s = int_wnam(w, a);
    }
    return s;
}

} // namespace detail::preset

/// The preset `name` (case-insensitive) as a validated scheme with these targets.
/// @param where JSON path to blame if the name is unknown, e.g. "config_groups.W4A17"
quant_scheme preset_scheme(std::string_view name, std::vector<std::string> targets,
                                  std::string_view where = {});

} // namespace nuq

#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/presets_impl.hpp"
#endif
