
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-torch/InceptionNeXt.Training/Native/src/allocator.cpp" "CMakeFiles/inceptionnext_torch.dir/src/allocator.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/allocator.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/autograd.cpp" "CMakeFiles/inceptionnext_torch.dir/src/autograd.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/autograd.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/errors.cpp" "CMakeFiles/inceptionnext_torch.dir/src/errors.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/errors.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/nn.cpp" "CMakeFiles/inceptionnext_torch.dir/src/nn.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/nn.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/ops.cpp" "CMakeFiles/inceptionnext_torch.dir/src/ops.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/ops.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/optim.cpp" "CMakeFiles/inceptionnext_torch.dir/src/optim.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/optim.cpp.o.d"
  "/work/wt-torch/InceptionNeXt.Training/Native/src/tensor.cpp" "CMakeFiles/inceptionnext_torch.dir/src/tensor.cpp.o" "gcc" "CMakeFiles/inceptionnext_torch.dir/src/tensor.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
