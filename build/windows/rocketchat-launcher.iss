; Inno Setup script for the Windows installer: the one-folder bundle (build\dist\rocketchat-launcher) in
; Program Files, a Start-menu entry, the rocketchat-launcher:// scheme for every user, and IT's
; launcher.toml beside the executable. Written for .github/workflows/windows-macos.yml; NEVER RUN here.
;
;   iscc /DAppVersion=0.1.0 build\windows\rocketchat-launcher.iss   -> build\dist\rocketchat-launcher-0.1.0-setup.exe
;
; Silent install (docs/it.md): rocketchat-launcher-0.1.0-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; A launcher.toml in the same folder as the setup program is installed beside rocketchat-launcher.exe,
; unless one is there already (an upgrade keeps IT's file).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6F1C2B0E-5A43-4C7E-9B8E-2D7A8F3C4E51}
AppName=Rocket.Chat Launcher
AppVersion={#AppVersion}
AppPublisher=Rocket.Chat Launcher maintainers
DefaultDirName={autopf}\Rocket.Chat Launcher
DisableProgramGroupPage=yes
DisableDirPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename=rocketchat-launcher-{#AppVersion}-setup
SetupIconFile=..\..\assets\icons\icon.ico
UninstallDisplayIcon={app}\rocketchat-launcher.exe
Compression=lzma2
SolidCompression=yes
CloseApplications=yes

[Files]
Source: "..\dist\rocketchat-launcher\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{src}\launcher.toml"; DestDir: "{app}"; Flags: external skipifsourcedoesntexist onlyifdoesntexist

[Icons]
Name: "{autoprograms}\Rocket.Chat Launcher"; Filename: "{app}\rocketchat-launcher.exe"

[Registry]
Root: HKA; Subkey: "Software\Classes\rocketchat-launcher"; ValueType: string; ValueData: "URL:Rocket.Chat Launcher room link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\rocketchat-launcher"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\rocketchat-launcher\shell\open\command"; ValueType: string; ValueData: """{app}\rocketchat-launcher.exe"" open ""%1"""
