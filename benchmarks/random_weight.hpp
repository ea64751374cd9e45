#pragma once
// random_weight: the stand-in layer the benchmarks quantize, a seeded N(0, 0.02) bf16 matrix
// (the spread of a trained LLM's Linear weights).
#include <cstdint>
#include <random>
#include <vector>

#include "nuq/numeric/bfloat16.hpp"

inline std::vector<nuq::bfloat16_t> random_bf16_weight(std::int64_t rows, std::int64_t cols) {
    std::vector<nuq::bfloat16_t> v(static_cast<std::size_t>(rows * cols));
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    for (auto& x : v) x = nuq::bfloat16_t(nd(rng));
    return v;
}
