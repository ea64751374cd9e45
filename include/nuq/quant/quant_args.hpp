#pragma once
// quant_args: compressed-tensors' QuantizationArgs — how one tensor (weights, input or output
// activations) is quantized. Plain data, plus validate() (docs/FORMAT.md §1.2) and JSON in/out with
// the exact compressed-tensors keys, spellings and inferred values.
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "nuq/detail/library.hpp"
#include "nuq/error.hpp"
#include "nuq/numeric/dtype.hpp"

namespace nuq {

enum class quant_type { int_, float_, invalid };
enum class quant_strategy { tensor, channel, group, block, token, tensor_group, attn_head, invalid };
enum class dynamic_mode { static_, dynamic, local };     // false / true / "local"
enum class actorder_mode { none, group, weight };           // null / "group" / "weight"

/// How JSON is written. ct_legacy_keys leaves out `scale_dtype`/`zp_dtype`, which
/// compressed-tensors < 0.13 rejects (its models forbid unknown keys).
struct dump_options {
    bool ct_legacy_keys = false;
};

struct quant_args {
    int num_bits = 8;
    quant_type type = quant_type::int_;
    bool symmetric = true;
    std::optional<int> group_size;                          // -1 means channel
    std::optional<quant_strategy> strategy;                 // inferred by validate()
    std::optional<std::array<int, 2>> block_structure;      // [rows, cols]
    dynamic_mode dynamic = dynamic_mode::static_;
    actorder_mode actorder = actorder_mode::none;
    // actorder was spelled with its alias ("dynamic" for group, "static" for weight);
    // compressed-tensors keeps the alias in its dump, so we do too.
    bool actorder_alias = false;
    std::optional<dtype> scale_dtype;
    std::optional<dtype> zp_dtype;                          // inferred by validate()
    std::optional<std::string> observer;                    // inferred by validate()
    nlohmann::json observer_kwargs = nlohmann::json::object();

    friend bool operator==(quant_args const&, quant_args const&) = default;

    /// The strategy after validation (validate() always sets it).
    [[nodiscard]] quant_strategy strategy_or_tensor() const {
        return strategy.value_or(quant_strategy::tensor);
    }
    [[nodiscard]] bool is_float() const { return type == quant_type::float_; }

    /// Storage dtype of quantized values (CT `pytorch_dtype()`): fp8 for float 8 bits, int8 /
    /// int16 / int32 for int up to 8 / 16 / more bits. Float with other bits has none.
    /// @param where JSON path of these args, for the error
    [[nodiscard]] dtype pytorch_dtype(std::string_view where = {}) const;

    /// docs/FORMAT.md §1.2, in the reference order: checks the field rules, infers strategy,
    /// observer and zp_dtype, and throws nuq::error naming `where`.<field> on the first rule
    /// broken. On error *this is left unchanged.
    /// @param where JSON path of these args, e.g. "config_groups.group_0.weights"
    void validate(std::string_view where = {});
};

// ---- enum <-> string ---------------------------------------------------------------------

namespace detail::cfg {

template <class E>
struct enum_name {
    E value;
    std::string_view name;
};

inline constexpr std::array<enum_name<quant_type>, 2> quant_type_names{{
    {quant_type::int_, "int"},
    {quant_type::float_, "float"},
}};
inline constexpr std::array<enum_name<quant_strategy>, 7> quant_strategy_names{{
    {quant_strategy::tensor, "tensor"},
    {quant_strategy::channel, "channel"},
    {quant_strategy::group, "group"},
    {quant_strategy::block, "block"},
    {quant_strategy::token, "token"},
    {quant_strategy::tensor_group, "tensor_group"},
    {quant_strategy::attn_head, "attn_head"},
}};

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

template <class E, std::size_t N>
constexpr std::string_view name_of(std::array<enum_name<E>, N> const& table, E v) {
    for (auto const& e : table)
        if (e.value == v) return e.name;
    return "invalid";
}

/// Case-insensitive lookup: compressed-tensors lower-cases these enum strings on input.
template <class E, std::size_t N>
constexpr std::optional<E> value_of(std::array<enum_name<E>, N> const& table,
                                    std::string_view s) {
    for (auto const& e : table)
        if (iequals(e.name, s)) return e.value;
    return std::nullopt;
}

/// `"a", "b", "c"`: the accepted spellings, for error messages.
template <class T, std::size_t N>
std::string quoted_list(std::array<T, N> const& table) {
    std::string s;
    for (auto const& e : table) {
        if (!s.empty()) s += ", ";
        if constexpr (std::is_same_v<T, std::string_view>)
            s += '"' + std::string(e) + '"';
        else
            s += '"' + std::string(e.name) + '"';
    }
    return s;
}

/// `base.key`, or `key` at the top level.
inline std::string path(std::string_view base, std::string_view key) {
    std::string p(base);
    if (!p.empty()) p += '.';
    p += key;
    return p;
}

template <class Json>
int get_int(Json const& j, std::string_view where, std::string_view id) {
    using lim = std::numeric_limits<int>;
    bool const fits = j.is_number_unsigned()
                          ? j.template get<std::uint64_t>() <= std::uint64_t(lim::max())
                          : j.is_number_integer() && j.template get<std::int64_t>() >= lim::min() &&
                                j.template get<std::int64_t>() <= lim::max();
    if (!fits)
        throw error(std::string(id), std::string(where),
                    "found " + j.dump() + " (" + j.type_name() + ")", "a 32-bit integer");
    return int(j.template get<std::int64_t>());
}

template <class Json>
bool get_bool(Json const& j, std::string_view where, std::string_view id) {
    if (!j.is_boolean())
        throw error(std::string(id), std::string(where), "found " + j.dump(), "true or false");
    return j.template get<bool>();
}

template <class Json>
std::string get_string(Json const& j, std::string_view where, std::string_view id) {
    if (!j.is_string())
        throw error(std::string(id), std::string(where),
                    "found " + j.dump() + " (" + j.type_name() + ")", "a string");
    return j.template get<std::string>();
}

/// "torch.float8_e4m3fn" or "float8_e4m3fn" (CT's TorchDtype accepts both).
inline dtype parse_torch_dtype(std::string const& s, std::string_view where) {
    if (auto d = dtype_from_torch(s)) return *d;
    std::string names;
    for (auto const& i : detail::dtype_table) {
        if (!names.empty()) names += ", ";
        names += "\"torch." + std::string(i.torch) + '"';
    }
    throw error("quant_args.dtype", std::string(where), "unknown torch dtype \"" + s + '"',
                "one of " + names, "use a torch dtype name such as \"torch.float8_e4m3fn\"");
}

inline std::string torch_string(dtype d) { return "torch." + std::string(torch_name(d)); }

} // namespace detail::cfg

constexpr std::string_view to_string(quant_type t) {
    return detail::cfg::name_of(detail::cfg::quant_type_names, t);
}
constexpr std::string_view to_string(quant_strategy s) {
    return detail::cfg::name_of(detail::cfg::quant_strategy_names, s);
}
/// "group" / "weight", or "none" for no activation ordering (written as JSON null).
constexpr std::string_view to_string(actorder_mode a) {
    switch (a) {
    case actorder_mode::group: return "group";
    case actorder_mode::weight: return "weight";
    case actorder_mode::none: break;
    }
    return "none";
}
/// Case-insensitive, canonical names only ("int", "float").
constexpr std::optional<quant_type> quant_type_from_string(std::string_view s) {
    return detail::cfg::value_of(detail::cfg::quant_type_names, s);
}
/// Case-insensitive, canonical names only ("tensor", ..., "attn_head").
constexpr std::optional<quant_strategy> quant_strategy_from_string(std::string_view s) {
    return detail::cfg::value_of(detail::cfg::quant_strategy_names, s);
}

// ---- validation --------------------------------------------------------------------------





// ---- JSON --------------------------------------------------------------------------------

/// Parses and validates one QuantizationArgs object (unknown keys are errors).
/// Works with nlohmann::json and nlohmann::ordered_json.
/// @param where JSON path of the object, used in every error, e.g. "kv_cache_scheme"
template <class Json>
quant_args parse_quant_args(Json const& j, std::string_view where = {}) {
    using namespace detail::cfg;
    static constexpr std::array<std::string_view, 12> keys{
        "num_bits", "type",     "symmetric",   "group_size", "strategy", "block_structure",
        "dynamic",  "actorder", "scale_dtype", "zp_dtype",   "observer", "observer_kwargs"};
    if (!j.is_object())
        throw error("quant_args.object", std::string(where),
                    "found " + j.dump() + " (" + j.type_name() + ")",
                    "a QuantizationArgs object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool known = false;
        for (auto k : keys) known = known || k == it.key();
        if (!known)
            throw error("quant_args.unknown_key", path(where, it.key()),
                        "unknown key \"" + it.key() + '"', "one of " + quoted_list(keys),
                        "remove the key or fix its spelling");
    }
    quant_args a;
    auto const get = [&](std::string_view k) -> Json const* {
        auto it = j.find(std::string(k));
        return it == j.end() ? nullptr : &*it;
    };
    auto const id = [](std::string_view k) { return "quant_args." + std::string(k); };

    if (auto v = get("num_bits")) a.num_bits = get_int(*v, path(where, "num_bits"), id("num_bits"));
    if (auto v = get("type")) {
        auto s = get_string(*v, path(where, "type"), id("type"));
        auto t = quant_type_from_string(s);
        if (!t)
            throw error(id("type"), path(where, "type"), "unknown type \"" + s + '"',
                        "one of " + quoted_list(quant_type_names), "use \"int\" or \"float\"");
        a.type = *t;
    }
    if (auto v = get("symmetric"))
        a.symmetric = get_bool(*v, path(where, "symmetric"), id("symmetric"));
    if (auto v = get("group_size"); v && !v->is_null())
        a.group_size = get_int(*v, path(where, "group_size"), id("group_size"));
    if (auto v = get("strategy"); v && !v->is_null()) {
        auto s = get_string(*v, path(where, "strategy"), id("strategy"));
        auto st = quant_strategy_from_string(s);
        if (!st)
            throw error(id("strategy"), path(where, "strategy"), "unknown strategy \"" + s + '"',
                        "one of " + quoted_list(quant_strategy_names) + " or null",
                        "use one of the listed strategies");
        a.strategy = *st;
    }
    if (auto v = get("block_structure"); v && !v->is_null()) {
        auto const p = path(where, "block_structure");
        auto const bad = [&] {
            return error(id("block_structure"), p, "invalid block_structure " + v->dump(),
                         "a list of two positive ints [rows, cols] or a string \"RxC\"",
                         "use e.g. [128, 128] or \"128x128\"");
        };
        std::array<int, 2> b{};
        if (v->is_string()) {
            // Backward-compatible "RxC" spelling, e.g. "128x128".
            auto const s = v->template get<std::string>();
            auto const x = s.find('x');
            if (x == std::string::npos) throw bad();
            std::string_view const parts[2] = {std::string_view(s).substr(0, x),
                                               std::string_view(s).substr(x + 1)};
            for (int i = 0; i < 2; ++i) {
                auto const* first = parts[i].data();
                auto const* last = first + parts[i].size();
                auto [ptr, ec] = std::from_chars(first, last, b[std::size_t(i)]);
                if (ec != std::errc{} || ptr != last || parts[i].empty()) throw bad();
            }
        } else if (v->is_array() && v->size() == 2) {
            for (std::size_t i = 0; i < 2; ++i) {
                if (!(*v)[i].is_number_integer()) throw bad();
                b[i] = get_int((*v)[i], p, id("block_structure"));
            }
        } else {
            throw bad();
        }
        a.block_structure = b;
    }
    if (auto v = get("dynamic")) {
        auto const p = path(where, "dynamic");
        if (v->is_boolean()) {
            a.dynamic = v->template get<bool>() ? dynamic_mode::dynamic : dynamic_mode::static_;
        } else if (v->is_string() && iequals(v->template get<std::string>(), "local")) {
            a.dynamic = dynamic_mode::local;
        } else {
            throw error(id("dynamic"), p, "found " + v->dump(), "true, false or \"local\"",
                        "use a boolean, or \"local\" for tensor_group with static global scale");
        }
    }
    if (auto v = get("actorder"); v && !v->is_null()) {
        auto const p = path(where, "actorder");
        if (v->is_boolean()) {
            a.actorder = v->template get<bool>() ? actorder_mode::group : actorder_mode::none;
        } else if (v->is_string()) {
            auto const s = v->template get<std::string>();
            if (iequals(s, "group") || iequals(s, "dynamic"))
                a.actorder = actorder_mode::group;
            else if (iequals(s, "weight") || iequals(s, "static"))
                a.actorder = actorder_mode::weight;
            else
                throw error(id("actorder"), p, "unknown actorder \"" + s + '"',
                            "\"group\", \"weight\", \"dynamic\", \"static\", a boolean or null",
                            "use \"weight\" (or \"group\" for g_idx ordering)");
            a.actorder_alias = iequals(s, "dynamic") || iequals(s, "static");
        } else {
            throw error(id("actorder"), p, "found " + v->dump(),
                        "\"group\", \"weight\", \"dynamic\", \"static\", a boolean or null");
        }
    }
    auto const torch_dtype = [&](std::string_view k, std::optional<dtype>& out) {
        if (auto v = get(k); v && !v->is_null())
            out = parse_torch_dtype(get_string(*v, path(where, k), id(k)), path(where, k));
    };
    torch_dtype("scale_dtype", a.scale_dtype);
    torch_dtype("zp_dtype", a.zp_dtype);
    if (auto v = get("observer"); v && !v->is_null())
        a.observer = get_string(*v, path(where, "observer"), id("observer"));
    if (auto v = get("observer_kwargs")) {
        if (!v->is_object())
            throw error(id("observer_kwargs"), path(where, "observer_kwargs"),
                        "found " + v->dump(), "an object", "use {} for no observer arguments");
        a.observer_kwargs = nlohmann::json(*v);
    }
    a.validate(where);
    return a;
}

/// The JSON compressed-tensors writes for these args (model_dump): every key present,
/// `zp_dtype` null when symmetric, dtypes as "torch.<name>".
nlohmann::json dump(quant_args const& a, dump_options const& opt = {});

/// ADL hooks so that `j.get<quant_args>()` and `json j = args;` work (top-level paths).
inline void from_json(nlohmann::json const& j, quant_args& a) { a = parse_quant_args(j); }
inline void to_json(nlohmann::json& j, quant_args const& a) { j = dump(a); }

} // namespace nuq

#ifdef NUQ_HEADER_ONLY
#include "nuq/quant/quant_args_impl.hpp"
#endif
