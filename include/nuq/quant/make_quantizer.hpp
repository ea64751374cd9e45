#pragma once
// The one bridge from run time to compile time: quant_args → a std::variant over every
// quantizer<Scheme, Strategy> type. Callers std::visit once; everything below is static.
#include <string>
#include <utility>
#include <variant>

#include "nuq/error.hpp"
#include "nuq/quant/quant_args.hpp"
#include "nuq/quant/quantizer.hpp"
#include "nuq/quant/scheme_float8.hpp"
#include "nuq/quant/scheme_int.hpp"
#include "nuq/quant/scheme_mx.hpp"
#include "nuq/quant/scheme_nvfp4.hpp"
#include "nuq/quant/strategy.hpp"

namespace nuq {

template <class... T>
struct type_list {};

namespace detail {
template <class... A, class... B>
type_list<A..., B...> concat(type_list<A...>, type_list<B...>);
template <class L, class... Ls>
struct join { using type = L; };
template <class L1, class L2, class... Ls>
struct join<L1, L2, Ls...> : join<decltype(concat(L1{}, L2{})), Ls...> {};

template <class Scheme>
using plain_strategies = type_list<quantizer<Scheme, strategy::tensor>,
                                   quantizer<Scheme, strategy::channel>,
                                   quantizer<Scheme, strategy::group>,
                                   quantizer<Scheme, strategy::block>>;
template <bool Symmetric, int... Bits>
auto int_family(std::integer_sequence<int, Bits...>)
    -> typename join<plain_strategies<scheme::int_<Bits + 1, Symmetric>>...>::type;

template <class L>
struct to_variant;
template <class... T>
struct to_variant<type_list<T...>> { using type = std::variant<T...>; };
} // namespace detail

/// Every quantizer nuq can run, in one closed list.
using all_quantizers = typename detail::join<
    decltype(detail::int_family<true>(std::make_integer_sequence<int, 8>{})),
    decltype(detail::int_family<false>(std::make_integer_sequence<int, 8>{})),
    detail::plain_strategies<scheme::float8_e4m3>,
    type_list<quantizer<scheme::nvfp4, strategy::tensor_group>,
              quantizer<scheme::mxfp4, strategy::group>,
              quantizer<scheme::mxfp8, strategy::group>>>::type;

using quantizer_variant = typename detail::to_variant<all_quantizers>::type;

namespace detail {
/// Whether quantizer type Q implements these (validated) args.
template <class Scheme, class Strategy>
bool matches(quantizer<Scheme, Strategy> const*, quant_args const& a) {
    if (a.strategy_or_tensor() != Strategy::kind || a.num_bits != Scheme::bits ||
        a.is_float() != Scheme::is_float || a.symmetric != Scheme::symmetric)
        return false;
    bool const mx = a.group_size == 32 && a.scale_dtype == dtype::uint8;
    if constexpr (Scheme::scale_storage == scale_encoding::ue8m0) return mx || Scheme::bits == 4;
    else if constexpr (Scheme::uses_global_scale) return a.group_size == 16;
    else if constexpr (Scheme::is_float) return !mx;
    else return true;
}

template <class Strategy>
Strategy make_strategy(quant_args const& a) {
    Strategy s{};
    if constexpr (requires { s.size; }) s.size = a.group_size.value_or(0);
    if constexpr (requires { s.rows; }) {
        s.rows = (*a.block_structure)[0];
        s.cols = (*a.block_structure)[1];
    }
    return s;
}

template <class... Q>
bool pick(type_list<Q...>, quant_args const& a, quantizer_variant& out) {
    return ((matches(static_cast<Q const*>(nullptr), a) &&
             (out.template emplace<Q>(make_strategy<typename Q::strategy_type>(a)), true)) ||
            ...);
}
} // namespace detail

/// The quantizer for validated weight args. `where` names the args (e.g. a recipe path) in
/// the error raised when nuq cannot quantize them.
inline quantizer_variant make_quantizer(quant_args const& a, std::string const& where = {}) {
    if (a.strategy == quant_strategy::block && !a.block_structure)
        throw error("quant.block_structure", where, "strategy block without block_structure",
                    "block_structure [rows, cols]", "add block_structure: [128, 128]");
    quantizer_variant q;
    if (detail::pick(all_quantizers{}, a, q)) return q;
    std::string const what =
        std::string(a.is_float() ? "float" : "int") + std::to_string(a.num_bits) +
        (a.symmetric ? "" : " asymmetric") + " with strategy " +
        std::to_string(static_cast<int>(a.strategy_or_tensor()));
    throw error("quant.unsupported", where, "no quantizer for " + what,
                "int 1-8 bits (tensor/channel/group/block), symmetric fp8 "
                "(tensor/channel/group/block), fp4 tensor_group 16 (NVFP4) or fp4/fp8 group 32 "
                "with uint8 scales (MX)",
                "use one of the preset schemes (W4A16, W8A8, FP8, FP8_DYNAMIC, FP8_BLOCK, "
                "NVFP4A16, MXFP4A16, ...)");
}

} // namespace nuq
