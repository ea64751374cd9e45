#pragma once
#include <nuq/kernels/row.hpp>
