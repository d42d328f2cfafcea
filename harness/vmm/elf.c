/* elf.c: a checked ELF64 loader for the guest agent. */
#include "vmm/elf.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

int hcf_elf_load(const uint8_t *image, size_t len, const struct hcf_gmem *m, uint64_t lo,
		 uint64_t hi, struct hcf_elf_info *info, char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	Elf64_Ehdr eh;
	if (len < sizeof(eh)) {
		snprintf(err, errlen, "agent image too short for an ELF header (%zu bytes)", len);
		return -1;
	}
	memcpy(&eh, image, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC) {
		snprintf(err, errlen, "agent image is not a little-endian x86-64 ELF executable");
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
		snprintf(err, errlen, "agent program headers out of the file");
		return -1;
	}
	unsigned loaded = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, image + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
			snprintf(err, errlen, "agent segment %u: sizes out of the file", i);
			return -1;
		}
		if (ph.p_paddr < lo || ph.p_paddr > hi || ph.p_memsz > hi - ph.p_paddr) {
			snprintf(err, errlen, "agent segment %u at 0x%llx+0x%llx outside 0x%llx..0x%llx", i,
				 (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz,
				 (unsigned long long)lo, (unsigned long long)hi);
			return -1;
		}
		uint8_t *dst = hcf_gmem_at(m, hcf_gpa(ph.p_paddr), ph.p_memsz);
		if (!dst) {
			snprintf(err, errlen, "agent segment %u outside guest RAM", i);
			return -1;
		}
		memcpy(dst, image + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if (info->nsegs < HCF_ELF_MAX_SEGS) {
			struct hcf_elf_seg *sg = &info->segs[info->nsegs++];
			sg->lo = ph.p_paddr & ~0xfffull;
			sg->hi = (ph.p_paddr + ph.p_memsz + 0xfff) & ~0xfffull;
			sg->writable = (ph.p_flags & PF_W) != 0;
		}
		loaded++;
	}
	if (!loaded || eh.e_entry < lo || eh.e_entry >= hi) {
		snprintf(err, errlen, "agent has no loadable segment or its entry is outside its image");
		return -1;
	}
	info->entry = eh.e_entry;
	return 0;
}

int hcf_elf_symbol(const uint8_t *image, size_t len, const char *name, uint64_t *value)
{
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return -1;
	memcpy(&eh, image, sizeof(eh));
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > len ||
	    (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > len - eh.e_shoff)
		return -1;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh, strh;
		memcpy(&sh, image + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB || sh.sh_link >= eh.e_shnum)
			continue;
		memcpy(&strh, image + eh.e_shoff + (uint64_t)sh.sh_link * sizeof(strh), sizeof(strh));
		if (sh.sh_offset > len || sh.sh_size > len - sh.sh_offset || strh.sh_offset > len ||
		    strh.sh_size > len - strh.sh_offset || sh.sh_entsize != sizeof(Elf64_Sym))
			return -1;
		const char *strtab = (const char *)image + strh.sh_offset;
		size_t nsym = sh.sh_size / sizeof(Elf64_Sym);
		for (size_t k = 0; k < nsym; k++) {
			Elf64_Sym sym;
			memcpy(&sym, image + sh.sh_offset + k * sizeof(sym), sizeof(sym));
			if (sym.st_name >= strh.sh_size)
				continue;
			const char *n = strtab + sym.st_name;
			size_t maxlen = strh.sh_size - sym.st_name;
			if (strnlen(n, maxlen) < maxlen && !strcmp(n, name)) {
				*value = sym.st_value;
				return 0;
			}
		}
	}
	return -1;
}
