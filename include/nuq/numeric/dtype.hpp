#pragma once
// Runtime element types of tensors on disk, with their safetensors and PyTorch spellings.
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace nuq {

enum class dtype {
    boolean, uint8, int8, int16, uint16, int32, uint32, int64, uint64,
    float8_e4m3fn, float8_e5m2, bfloat16, float16, float32, float64, invalid
};

namespace detail {
struct dtype_info {
    dtype type;
    std::string_view safetensors; // header "dtype" value
    std::string_view torch;       // name after "torch."
    std::size_t bytes;
};
inline constexpr std::array<dtype_info, 15> dtype_table{{
    {dtype::boolean, "BOOL", "bool", 1},
    {dtype::uint8, "U8", "uint8", 1},
    {dtype::int8, "I8", "int8", 1},
    {dtype::int16, "I16", "int16", 2},
    {dtype::uint16, "U16", "uint16", 2},
    {dtype::int32, "I32", "int32", 4},
    {dtype::uint32, "U32", "uint32", 4},
    {dtype::int64, "I64", "int64", 8},
    {dtype::uint64, "U64", "uint64", 8},
    {dtype::float8_e4m3fn, "F8_E4M3", "float8_e4m3fn", 1},
    {dtype::float8_e5m2, "F8_E5M2", "float8_e5m2", 1},
    {dtype::bfloat16, "BF16", "bfloat16", 2},
    {dtype::float16, "F16", "float16", 2},
    {dtype::float32, "F32", "float32", 4},
    {dtype::float64, "F64", "float64", 8},
}};
constexpr dtype_info const* find_dtype(dtype t) {
    for (auto const& i : dtype_table)
        if (i.type == t) return &i;
    return nullptr;
}
} // namespace detail

/// Bytes per element.
constexpr std::size_t size_of(dtype t) {
    auto const* i = detail::find_dtype(t);
    return i ? i->bytes : 0;
}
/// The safetensors header spelling ("BF16").
constexpr std::string_view safetensors_name(dtype t) {
    auto const* i = detail::find_dtype(t);
    return i ? i->safetensors : std::string_view{"invalid"};
}
/// The PyTorch spelling without "torch." ("bfloat16").
constexpr std::string_view torch_name(dtype t) {
    auto const* i = detail::find_dtype(t);
    return i ? i->torch : std::string_view{"invalid"};
}
constexpr std::optional<dtype> dtype_from_safetensors(std::string_view s) {
    for (auto const& i : detail::dtype_table)
        if (i.safetensors == s) return i.type;
    return std::nullopt;
}
/// Accepts "torch.bfloat16", "bfloat16" and the aliases PyTorch prints ("float", "half").
constexpr std::optional<dtype> dtype_from_torch(std::string_view s) {
    if (s.starts_with("torch.")) s.remove_prefix(6);
    if (s == "float") return dtype::float32;
    if (s == "half") return dtype::float16;
    if (s == "double") return dtype::float64;
    for (auto const& i : detail::dtype_table)
        if (i.torch == s) return i.type;
    return std::nullopt;
}
constexpr bool is_floating(dtype t) {
    return t == dtype::float8_e4m3fn || t == dtype::float8_e5m2 || t == dtype::bfloat16 ||
           t == dtype::float16 || t == dtype::float32 || t == dtype::float64;
}

static_assert(size_of(dtype::bfloat16) == 2 && size_of(dtype::int64) == 8);
static_assert(dtype_from_torch("torch.float8_e4m3fn") == dtype::float8_e4m3fn);

} // namespace nuq
