#pragma once
// calibration_batches: calibration samples as token batches, the input of every calibrated run.
#include <algorithm>
#include <cstdint>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "nuq/calib/dataset.hpp"

namespace nuq::pipeline {

/// Calibration samples as token batches of equal length (consecutive samples of one length).
struct calibration_batches {
    std::vector<xt::xtensor<std::int64_t, 2>> batches;
    std::int64_t samples = 0, tokens = 0, longest = 0;
};

inline calibration_batches make_batches(std::vector<calib::sample> const& samples) {
    calibration_batches out;
    std::size_t i = 0;
    while (i < samples.size()) {
        std::size_t j = i;
        while (j < samples.size() && samples[j].size() == samples[i].size()) ++j;
        auto const len = samples[i].size();
        xt::xtensor<std::int64_t, 2> b = xt::empty<std::int64_t>({j - i, len});
        for (std::size_t k = i; k < j; ++k)
            std::copy(samples[k].begin(), samples[k].end(), b.begin() + (k - i) * len);
        out.batches.push_back(std::move(b));
        out.samples += static_cast<std::int64_t>(j - i);
        out.tokens += static_cast<std::int64_t>((j - i) * len);
        out.longest = std::max(out.longest, static_cast<std::int64_t>(len));
        i = j;
    }
    return out;
}

} // namespace nuq::pipeline
