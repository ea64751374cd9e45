#pragma once
// quant_args: compressed-tensors' QuantizationArgs — how one tensor (weights, input or output
// activations) is quantized. Plain data; validation and JSON live beside it.
#include <array>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "nuq/numeric/dtype.hpp"

namespace nuq {

enum class quant_type { int_, float_, invalid };
enum class quant_strategy { tensor, channel, group, block, token, tensor_group, attn_head, invalid };
enum class dynamic_mode { static_, dynamic, local };     // false / true / "local"
enum class actorder_mode { none, group, weight };           // null / "group" / "weight"

struct quant_args {
    int num_bits = 8;
    quant_type type = quant_type::int_;
    bool symmetric = true;
    std::optional<int> group_size;                          // -1 means channel
    std::optional<quant_strategy> strategy;                 // inferred by validate()
    std::optional<std::array<int, 2>> block_structure;      // [rows, cols]
    dynamic_mode dynamic = dynamic_mode::static_;
    actorder_mode actorder = actorder_mode::none;
    std::optional<dtype> scale_dtype;
    std::optional<dtype> zp_dtype;
    std::optional<std::string> observer;
    nlohmann::json observer_kwargs = nlohmann::json::object();

    friend bool operator==(quant_args const&, quant_args const&) = default;

    /// The strategy after validation (validate() always sets it).
    [[nodiscard]] quant_strategy strategy_or_tensor() const {
        return strategy.value_or(quant_strategy::tensor);
    }
    [[nodiscard]] bool is_float() const { return type == quant_type::float_; }
};

} // namespace nuq
