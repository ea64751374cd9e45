#pragma once
// compression_format: compressed-tensors' CompressionFormat names (ct/config/base.py), with
// strict (exact-spelling) string conversions, and ct_version, the writer version stored in
// `quantization_config.version` that decides which rules and layouts apply.
#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "nuq/error.hpp"

namespace nuq {

enum class compression_format {
    dense,
    sparse_bitmask,      // legacy (sparsity_config), removed in CT 0.15
    sparse_24_bitmask,   // legacy (sparsity_config), removed in CT 0.15
    int_quantized,
    float_quantized,
    naive_quantized,
    pack_quantized,
    marlin_24,           // legacy, removed in CT 0.15; no decompressor anywhere
    mixed_precision,     // model level only: the groups use different formats
    nvfp4_pack_quantized,
    mxfp4_pack_quantized,
    mxfp8_quantized,     // CT >= 0.15
};

namespace detail::fmt {
struct format_name {
    compression_format value;
    std::string_view name;
};
inline constexpr std::array<format_name, 12> format_names{{
    {compression_format::dense, "dense"},
    {compression_format::sparse_bitmask, "sparse-bitmask"},
    {compression_format::sparse_24_bitmask, "sparse-24-bitmask"},
    {compression_format::int_quantized, "int-quantized"},
    {compression_format::float_quantized, "float-quantized"},
    {compression_format::naive_quantized, "naive-quantized"},
    {compression_format::pack_quantized, "pack-quantized"},
    {compression_format::marlin_24, "marlin-24"},
    {compression_format::mixed_precision, "mixed-precision"},
    {compression_format::nvfp4_pack_quantized, "nvfp4-pack-quantized"},
    {compression_format::mxfp4_pack_quantized, "mxfp4-pack-quantized"},
    {compression_format::mxfp8_quantized, "mxfp8-quantized"},
}};
} // namespace detail::fmt

/// The compressed-tensors spelling, e.g. "pack-quantized".
constexpr std::string_view to_string(compression_format f) {
    for (auto const& e : detail::fmt::format_names)
        if (e.value == f) return e.name;
    return "invalid";
}

/// Exact spelling only, as CT's enum (no case folding, no underscores).
constexpr std::optional<compression_format> compression_format_from_string(std::string_view s) {
    for (auto const& e : detail::fmt::format_names)
        if (e.name == s) return e.value;
    return std::nullopt;
}

/// `"dense", "sparse-bitmask", ...`: every accepted name, for error messages.
inline std::string compression_format_names() {
    std::string s;
    for (auto const& e : detail::fmt::format_names) {
        if (!s.empty()) s += ", ";
        s += '"' + std::string(e.name) + '"';
    }
    return s;
}

/// Like compression_format_from_string, but an unknown name is a nuq::error at `where`.
inline compression_format parse_compression_format(std::string_view s, std::string_view where) {
    if (auto f = compression_format_from_string(s)) return *f;
    throw error("format.unknown", std::string(where),
                "unknown compression format \"" + std::string(s) + '"',
                "one of " + compression_format_names(),
                "use one of the listed names (exact spelling, lower case with dashes)");
}

/// The sparse and marlin-24 formats: recognised in configs, but no compressor (CT >= 0.15
/// cannot load them either).
constexpr bool is_legacy(compression_format f) {
    return f == compression_format::sparse_bitmask ||
           f == compression_format::sparse_24_bitmask || f == compression_format::marlin_24;
}

/// A compressed-tensors release, from the `version` string of a config.
struct ct_version {
    int major = 0;
    int minor = 0;
    int patch = 0;

    friend constexpr auto operator<=>(ct_version const&, ct_version const&) = default;
};

/// The release nuq writes by default and whose rules it follows (docs/FORMAT.md §0: 0.18.0).
inline constexpr ct_version ct_latest{0, 18, 0};

/// "0.12.2", "0.14.0.1", "0.10.3.dev12+g1a2b" → the first three numbers (a missing patch is
/// 0); nullopt unless it starts with "<major>.<minor>".
constexpr std::optional<ct_version> ct_version_from_string(std::string_view s) {
    int parts[3] = {0, 0, 0};
    std::size_t pos = 0;
    for (int i = 0; i < 3; ++i) {
        if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') {
            if (i < 2) return std::nullopt;
            break;
        }
        int v = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (v > 100000) return std::nullopt;
            v = v * 10 + (s[pos++] - '0');
        }
        parts[i] = v;
        if (i < 2) {
            if (pos >= s.size() || s[pos] != '.') {
                if (i == 0) return std::nullopt;
                break;
            }
            ++pos;
        }
    }
    return ct_version{parts[0], parts[1], parts[2]};
}

inline std::string to_string(ct_version v) {
    return std::to_string(v.major) + '.' + std::to_string(v.minor) + '.' + std::to_string(v.patch);
}

static_assert(ct_version_from_string("0.14.0.1") == ct_version{0, 14, 0});
static_assert(ct_version_from_string("0.9") == ct_version{0, 9, 0});
static_assert(!ct_version_from_string("v0.4.0"));
static_assert(compression_format_from_string("pack-quantized") ==
              compression_format::pack_quantized);

} // namespace nuq
