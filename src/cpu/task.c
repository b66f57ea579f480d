/* Hardware task switches: placeholder replaced below. */
#include "cpu/cpu_impl.h"

void task_switch(struct cpu *c, uint16_t sel, uint32_t lo, uint32_t hi,
                 enum ts_reason why, uint32_t err)
{
    (void)lo; (void)hi; (void)why; (void)err;
    cpu_exception(c, EXC_GP, sel & 0xfffcu);
}
