using Attest.Cli;

return AttestCommand.Invoke(args);
