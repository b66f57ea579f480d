# Helpers for freestanding i386 guest images (multiboot ELFs, ROMs).
# pagoda_guest_elf(NAME LINKER_SCRIPT SRC...) builds NAME as a static -m32
# ELF with no libc. Guest code keeps -Wall -Wextra but never sanitizers.
set(PAGODA_GUEST_CFLAGS -m32 -march=i686 -ffreestanding -fno-pie -fno-pic -fno-stack-protector
    -fno-asynchronous-unwind-tables -nostdlib -O2 -Wall -Wextra -mno-sse -mno-mmx -mno-80387 -fno-builtin)
if(PAGODA_WERROR)
  list(APPEND PAGODA_GUEST_CFLAGS -Werror)
endif()

function(pagoda_guest_elf name ldscript)
  add_executable(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES SUFFIX ".elf")
  target_compile_options(${name} PRIVATE ${PAGODA_GUEST_CFLAGS})
  target_link_options(${name} PRIVATE -m32 -nostdlib -static -no-pie -Wl,--build-id=none -T ${ldscript})
  target_link_libraries(${name} PRIVATE gcc)
  set_target_properties(${name} PROPERTIES LINK_DEPENDS ${ldscript})
endfunction()
