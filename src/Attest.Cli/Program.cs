using Attest.Cli;

return AttestCommand.Build().Parse(args).Invoke();
