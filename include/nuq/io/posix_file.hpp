#pragma once
// POSIX building blocks of the io layer: an owned file descriptor, a read-only memory map, a
// full positional write, and unique temporary names. Every failure becomes a nuq::error that
// names the file and the system's reason.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "nuq/error.hpp"

namespace nuq::io::detail {

inline std::string errno_text(int e) { return std::system_category().message(e); }

/// An owned file descriptor; closes on destruction.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    unique_fd(unique_fd const&) = delete;
    unique_fd& operator=(unique_fd const&) = delete;
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    /// Closes and reports the result: on some file systems a failed write shows up only here.
    [[nodiscard]] int close() noexcept {
        int const r = fd_ >= 0 ? ::close(fd_) : 0;
        fd_ = -1;
        return r;
    }

private:
    int fd_ = -1;
};

/// A whole regular file mapped read-only (PROT_READ, MAP_PRIVATE: the file is never modified).
/// The descriptor is closed once mapped; the mapping lives until destruction.
class mapped_file {
public:
    mapped_file() = default;
    mapped_file(mapped_file&& o) noexcept
        : base_(std::exchange(o.base_, nullptr)), size_(std::exchange(o.size_, 0)) {}
    mapped_file& operator=(mapped_file&& o) noexcept {
        if (this != &o) {
            unmap();
            base_ = std::exchange(o.base_, nullptr);
            size_ = std::exchange(o.size_, 0);
        }
        return *this;
    }
    mapped_file(mapped_file const&) = delete;
    mapped_file& operator=(mapped_file const&) = delete;
    ~mapped_file() { unmap(); }

    /// Maps `path`. Files shorter than `min_size` bytes are refused with `too_short_id` before
    /// mapping (an empty file cannot be mapped at all).
    static mapped_file open(std::filesystem::path const& path, std::size_t min_size,
                            std::string const& too_short_id) {
        unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            int const e = errno;
            throw error("io.open", path.string(), "cannot open: " + errno_text(e), "",
                        e == ENOENT ? "check the path" : "check the file's permissions");
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0)
            throw error("io.open", path.string(), "cannot stat: " + errno_text(errno), "",
                        "check the file system");
        if (!S_ISREG(st.st_mode))
            throw error("io.open", path.string(), "is not a regular file", "",
                        "pass the path of a file, not a directory or device");
        auto const size = static_cast<std::uint64_t>(st.st_size);
        if (size < min_size)
            throw error(too_short_id, path.string(),
                        "file is " + std::to_string(size) + " bytes long",
                        "at least " + std::to_string(min_size) + " bytes",
                        "the file is truncated or empty; copy or download it again");
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED)
            throw error("io.mmap", path.string(), "cannot map into memory: " + errno_text(errno),
                        "", "check available address space and that the file system supports mmap");
        mapped_file m;
        m.base_ = p;
        m.size_ = size;
        return m;
    }

    [[nodiscard]] std::span<std::byte const> bytes() const noexcept {
        return {static_cast<std::byte const*>(base_), size_};
    }

private:
    void unmap() noexcept {
        if (base_) ::munmap(base_, size_);
        base_ = nullptr;
        size_ = 0;
    }
    void* base_ = nullptr;
    std::size_t size_ = 0;
};

/// Writes all of `bytes` at `offset`, retrying short writes and EINTR.
inline void pwrite_all(int fd, std::span<std::byte const> bytes, std::uint64_t offset,
                       std::filesystem::path const& path) {
    while (!bytes.empty()) {
        ssize_t const n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw error("io.write", path.string(), "write failed: " + errno_text(errno), "",
                        "check free disk space and write permission");
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
}

/// fsync + close, so that a rename afterwards never publishes a half-written file.
inline void sync_and_close(unique_fd& fd, std::filesystem::path const& path) {
    if (::fsync(fd.get()) != 0 && errno != EINVAL) // EINVAL: the file system cannot sync
        throw error("io.write", path.string(), "fsync failed: " + errno_text(errno), "",
                    "check free disk space and the storage device");
    if (fd.close() != 0)
        throw error("io.write", path.string(), "close failed: " + errno_text(errno), "",
                    "check free disk space and the storage device");
}

/// A random suffix for temporary names beside the target (`<target>.nuq-tmp-<suffix>`).
inline std::string random_suffix() {
    static constexpr char hex[] = "0123456789abcdef";
    std::random_device rd;
    std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd() ^ static_cast<std::uint64_t>(::getpid());
    std::string s(12, '0');
    for (auto& c : s) {
        c = hex[v & 15];
        v >>= 4;
    }
    return s;
}

/// Creates a new file (O_EXCL, mode 0666 less umask) at `<target>.nuq-tmp-<random>`.
inline std::pair<unique_fd, std::filesystem::path>
create_temp_file(std::filesystem::path const& target) {
    for (int attempt = 0;; ++attempt) {
        std::filesystem::path tmp = target;
        tmp += ".nuq-tmp-" + random_suffix();
        unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
        if (fd) return {std::move(fd), std::move(tmp)};
        if (errno != EEXIST || attempt == 16)
            throw error("io.create", tmp.string(), "cannot create: " + errno_text(errno), "",
                        "check that the directory exists and is writable");
    }
}

/// Creates a new directory (mode 0777 less umask) at `<target>.nuq-tmp-<random>`.
inline std::filesystem::path create_temp_dir(std::filesystem::path const& target) {
    for (int attempt = 0;; ++attempt) {
        std::filesystem::path tmp = target;
        tmp += ".nuq-tmp-" + random_suffix();
        if (::mkdir(tmp.c_str(), 0777) == 0) return tmp;
        if (errno != EEXIST || attempt == 16)
            throw error("io.create", tmp.string(), "cannot create directory: " + errno_text(errno),
                        "", "check that the parent directory exists and is writable");
    }
}

/// Writes a whole small file (config.json, an index) durably.
inline void write_text_file(std::filesystem::path const& path, std::string_view text) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd)
        throw error("io.create", path.string(), "cannot create: " + errno_text(errno), "",
                    "check that the directory exists and is writable");
    pwrite_all(fd.get(), std::as_bytes(std::span(text.data(), text.size())), 0, path);
    sync_and_close(fd, path);
}

/// Drops the pages of a read-only file mapping that hold `bytes` from this process's memory
/// (the data stays in the page cache and is read back if touched again). Streaming a model
/// one tensor at a time then keeps the resident set near one tensor, not the whole file.
inline void release_pages(std::span<std::byte const> bytes) {
    if (bytes.empty()) return;
    auto const page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto const begin = reinterpret_cast<std::uintptr_t>(bytes.data()) & ~(page - 1);
    auto const end = reinterpret_cast<std::uintptr_t>(bytes.data() + bytes.size());
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED); // advice only
}

} // namespace nuq::io::detail
