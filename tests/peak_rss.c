/* peak_rss CMD [ARGS...]: run CMD, print its peak resident set in KiB on
 * stdout and exit with its exit status (128 + signal when killed).
 *
 * Why a C helper: Linux carries a process's peak RSS over fork and exec,
 * so a child started straight from a big test process (Python) reports at
 * least the parent's size. Started from this small process, the number is
 * the command's own. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: peak_rss CMD [ARGS...]\n");
        return 64;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("peak_rss: fork");
        return 70;
    }
    if (pid == 0) {
        execv(argv[1], argv + 1);
        perror("peak_rss: exec");
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) {
        perror("peak_rss: waitpid");
        return 70;
    }
    /* Our only child: the largest peak of our children is its peak. */
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0) {
        perror("peak_rss: getrusage");
        return 70;
    }
    printf("%ld\n", ru.ru_maxrss);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
