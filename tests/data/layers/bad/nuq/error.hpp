#pragma once
// check_layers fixture (bad): core, includes nothing.
