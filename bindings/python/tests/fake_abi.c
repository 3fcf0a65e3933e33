/* A stand-in shared library that claims an ABI major the bindings do not
 * support; test_lib.py checks that importing fiie against it fails. */
int fiie_abi_version(void);

int fiie_abi_version(void)
{
    return 2 << 16;
}
