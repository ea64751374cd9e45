#pragma once
// changed_tensors: the tensors calibration replaced (GPTQ's fake-quantized weights, AWQ's and
// SmoothQuant's smoothed ones), kept in a scratch file rather than in memory, so that a
// calibrated run holds one decoder layer's weights at a time however large the model; the
// next modifier's run and the writer read each tensor back when they need it. Values go to
// the file as bf16 when every one of them is a bf16 value (always so for a bf16 checkpoint),
// else as f32. The file is unlinked as soon as it is open, so it never outlives the process.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include "nuq/error.hpp"
#include "nuq/numeric/bfloat16.hpp"

namespace nuq::pipeline {

class changed_tensors {
public:
    /// The scratch file goes into `dir` (created on the first put).
    explicit changed_tensors(std::filesystem::path dir = std::filesystem::temp_directory_path())
        : dir_(std::move(dir)) {}
    changed_tensors(changed_tensors&& o) noexcept { *this = std::move(o); }
    changed_tensors& operator=(changed_tensors&& o) noexcept {
        if (this == &o) return *this;
        remove();
        dir_ = std::move(o.dir_);
        path_ = std::move(o.path_);
        index_ = std::move(o.index_);
        file_ = std::move(o.file_);
        end_ = o.end_;
        o.path_.clear();
        o.index_.clear();
        return *this;
    }
    changed_tensors(changed_tensors const&) = delete;
    changed_tensors& operator=(changed_tensors const&) = delete;
    ~changed_tensors() { remove(); }

    /// Stores (or replaces) the values of tensor `name`.
    void put(std::string const& name, std::vector<float> const& v) {
        std::lock_guard const lock(mutex_);
        open();
        bool const bf16 = std::all_of(v.begin(), v.end(),
                                      [](float x) { return float(bfloat16_t(x)) == x; });
        file_.seekp(static_cast<std::streamoff>(end_));
        if (bf16) {
            std::vector<std::uint16_t> bits(v.size());
            for (std::size_t i = 0; i < v.size(); ++i) bits[i] = bfloat16_t(v[i]).bits;
            file_.write(reinterpret_cast<char const*>(bits.data()),
                        static_cast<std::streamsize>(bits.size() * 2));
        } else {
            file_.write(reinterpret_cast<char const*>(v.data()),
                        static_cast<std::streamsize>(v.size() * 4));
        }
        file_.flush();
        if (!file_)
            throw error("calibration.scratch", path_.string(),
                        "writing " + name + " failed", "room for the calibrated tensors",
                        "free disk space there (the scratch file holds every tensor calibration "
                        "changed, about the size of the quantized weights in bf16)");
        index_[name] = entry{end_, v.size(), bf16};
        end_ += v.size() * (bf16 ? 2 : 4);
    }

    [[nodiscard]] bool contains(std::string const& name) const { return index_.contains(name); }
    [[nodiscard]] std::size_t size() const { return index_.size(); }

    /// The stored values of `name`, or nothing if calibration did not change it.
    [[nodiscard]] std::optional<std::vector<float>> get(std::string const& name) const {
        std::lock_guard const lock(mutex_);
        auto const it = index_.find(name);
        if (it == index_.end()) return std::nullopt;
        auto const& e = it->second;
        std::vector<float> v(e.count);
        file_.seekg(static_cast<std::streamoff>(e.offset));
        if (e.bf16) {
            std::vector<std::uint16_t> bits(e.count);
            file_.read(reinterpret_cast<char*>(bits.data()),
                       static_cast<std::streamsize>(bits.size() * 2));
            for (std::size_t i = 0; i < e.count; ++i)
                v[i] = float(bfloat16_t::from_bits(bits[i]));
        } else {
            file_.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 4));
        }
        if (!file_)
            throw error("calibration.scratch", path_.string(), "reading " + name + " failed",
                        "the file nuq wrote during calibration",
                        "do not remove or truncate it while nuq runs");
        return v;
    }

private:
    struct entry {
        std::uint64_t offset = 0;
        std::size_t count = 0;
        bool bf16 = false;
    };

    void open() {
        if (file_.is_open()) return;
        static std::atomic<int> serial{0};
        std::error_code ec;
        std::filesystem::create_directories(dir_, ec);
        path_ = dir_ / (".nuq-calibrated-" + std::to_string(::getpid()) + "-" +
                        std::to_string(serial++) + ".tmp");
        file_.open(path_, std::ios::in | std::ios::out | std::ios::binary | std::ios::trunc);
        if (!file_)
            throw error("calibration.scratch", path_.string(), "cannot be created",
                        "a writable directory for the calibrated tensors",
                        "make the output's directory writable");
        // Unlinked at once: the open stream keeps it, and nothing is left behind if nuq dies.
        std::filesystem::remove(path_, ec);
    }

    void remove() noexcept {
        if (file_.is_open()) file_.close();
        path_.clear();
    }

    std::filesystem::path dir_, path_;
    std::map<std::string, entry> index_;
    mutable std::fstream file_;
    mutable std::mutex mutex_; // the writer's threads read tensors back concurrently
    std::uint64_t end_ = 0;
};

} // namespace nuq::pipeline
