#pragma once
// How calibration samples are read from a dataset file (dataset.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>

namespace nuq::calib {

enum class dataset_format {
    automatic, ///< JSONL for .jsonl / .json files, text otherwise
    text,
    jsonl,
};

struct dataset_options {
    std::size_t num_calibration_samples = 512; ///< llm-compressor's default
    std::size_t max_seq_length = 256;          ///< the golden calibration protocol's
    std::optional<std::uint64_t> seed;         ///< shuffle before taking the first N
    dataset_format format = dataset_format::automatic;
};

} // namespace nuq::calib
