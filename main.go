// Command keyward hands out and polices LLM API keys: a console, an SSH
// server, a gateway and scripts over one embedded database.
package main

import (
	"os"

	"keyward/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
