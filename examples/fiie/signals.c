#include "signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "keyfile.h"

/* Lock-free atomics and sig_atomic_t: safe to use in the handler. */
static atomic_int writers;
static volatile sig_atomic_t pending;

static void finish(int sig)
{
    static const char msg[] = "\nfiie: interrupted\n";
    cli_tty_restore();
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    _exit(128 + sig);
}

static void on_signal(int sig)
{
    pending = sig;
    if (atomic_load(&writers) == 0)
        finish(sig);
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* One handler at a time: a second signal waits for the first. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGHUP);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int cli_write_begin(void)
{
    atomic_fetch_add(&writers, 1);
    if (pending) {
        cli_write_end();
        return -1;
    }
    return 0;
}

void cli_write_end(void)
{
    if (atomic_fetch_sub(&writers, 1) == 1 && pending)
        finish(pending);
}

int cli_interrupted(void)
{
    return pending != 0;
}
