file(REMOVE_RECURSE
  "CMakeFiles/inceptionnext_torch.dir/src/allocator.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/allocator.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/autograd.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/autograd.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/errors.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/errors.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/nn.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/nn.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/ops.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/ops.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/optim.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/optim.cpp.o.d"
  "CMakeFiles/inceptionnext_torch.dir/src/tensor.cpp.o"
  "CMakeFiles/inceptionnext_torch.dir/src/tensor.cpp.o.d"
  "libinceptionnext_torch.pdb"
  "libinceptionnext_torch.so"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/inceptionnext_torch.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
