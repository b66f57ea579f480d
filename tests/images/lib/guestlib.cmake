# Shared guest-side library of the test images: multiboot entry, serial,
# printf-lite, port I/O, IDT/PIC helpers. pagoda_test_image(NAME SRC...)
# builds test-image-NAME.elf (freestanding -m32 multiboot ELF at 1 MiB).
include_guard(GLOBAL)


function(pagoda_test_image name)
  set(lib ${PROJECT_SOURCE_DIR}/tests/images/lib)
  pagoda_guest_elf(test-image-${name} ${lib}/link.ld ${ARGN}
    ${lib}/start.S ${lib}/serial.c ${lib}/printf.c ${lib}/irq.c ${lib}/libc.c ${lib}/boot.c)
  target_include_directories(test-image-${name} PRIVATE ${lib})
endfunction()
