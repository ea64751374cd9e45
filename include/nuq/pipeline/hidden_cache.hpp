#pragma once
// hidden_cache: the calibration samples' hidden states between decoder layers (one tensor per
// batch of equal-length samples), kept in the forward's activation dtype. A bf16 forward's
// activations are bf16 values, so bf16 storage halves the cache without changing a bit (for
// 512 × 2048 tokens of an 8B model: 8.6 GB instead of 17 GB).
#include <array>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/model/config.hpp"
#include "nuq/numeric/bfloat16.hpp"

namespace nuq::pipeline {

class hidden_cache {
public:
    explicit hidden_cache(model::act_dtype t) : bf16_(t == model::act_dtype::bf16) {}

    [[nodiscard]] std::size_t size() const { return shapes_.size(); }

    void push_back(xt::xtensor<float, 3> const& h) {
        shapes_.push_back({h.shape(0), h.shape(1), h.shape(2)});
        if (bf16_) bits_.emplace_back();
        else f32_.emplace_back();
        set(size() - 1, h);
    }

    [[nodiscard]] xt::xtensor<float, 3> get(std::size_t i) const {
        if (!bf16_) return f32_[i];
        xt::xtensor<float, 3> h = xt::empty<float>(shapes_[i]);
        auto const& b = bits_[i];
        for (std::size_t k = 0; k < b.size(); ++k) h.data()[k] = float(bfloat16_t::from_bits(b[k]));
        return h;
    }

    /// Replaces batch i (values of the cache's dtype: a bf16 forward's outputs).
    void set(std::size_t i, xt::xtensor<float, 3> const& h) {
        if (!bf16_) {
            f32_[i] = h;
            return;
        }
        auto& b = bits_[i];
        b.resize(h.size());
        for (std::size_t k = 0; k < b.size(); ++k) b[k] = bfloat16_t(h.data()[k]).bits;
    }

private:
    bool bf16_;
    std::vector<std::array<std::size_t, 3>> shapes_;
    std::vector<xt::xtensor<float, 3>> f32_;
    std::vector<std::vector<std::uint16_t>> bits_;
};

} // namespace nuq::pipeline
