/* Interruption of the fiie tool (Ctrl-C, SIGTERM, a closed terminal).
 *
 * A signal ends the process at once, with status 128 + signal (130 for
 * SIGINT, 143 for SIGTERM), unless a file is being published: then it ends
 * as soon as the last write in progress is complete. The library writes
 * through an unnamed temporary file (O_TMPFILE), so a process ended during
 * a write leaves nothing; the short moment in which a finished file has a
 * temporary name (replacing an existing file, or a file system without
 * O_TMPFILE) is what the write sections below protect. Terminal echo
 * turned off by a passphrase prompt is restored first. */
#ifndef FIIE_CLI_SIGNALS_H
#define FIIE_CLI_SIGNALS_H

/** Install the handlers of SIGINT, SIGTERM and SIGHUP (once, in main). */
void cli_signals_install(void);

/** Enter a write section (any thread). @return 0, or -1 when the process
 * is being interrupted: then do not start the write. */
int cli_write_begin(void);

/** Leave a write section; the last one to leave ends an interrupted
 * process. */
void cli_write_end(void);

/** Non-zero once a signal asked the process to end (a batch starts no
 * new file then). */
int cli_interrupted(void);

#endif
